//! Generates the `ingo` subcommands from the OpenAPI spec, with no
//! handwritten code per operation.
//!
//! For every operation of the spec this writes, to `OUT_DIR/ingo_cli.rs`:
//! * an entry of `OPERATIONS` (a static table: command names, help texts,
//!   one flag per body field with its constraints, the item columns), from
//!   which `src/args.rs` builds the clap commands at run time;
//! * an arm of `dispatch` per paged list, which hands the flags (as the JSON
//!   body) to the client's builder and walks it through `src/run.rs`; every
//!   other operation is called by its id (`Client::call_json`).
//!
//! The spec is the one `ingo-banking` was generated from (its build script
//! passes the path as `DEP_INGO_BANKING_SPEC`), so the commands always match
//! the client; `INGO_SPEC` switches both.

use std::collections::BTreeSet;
use std::path::PathBuf;

use ingo_codegen::{Kind, LoadedSpec, Operation, Prose, RequestField, Rule, SpecError};
use proc_macro2::TokenStream;
use quote::quote;

/// Flag names friendlier than the spec's field names (`--status` for
/// `status_str`); the spec's name stays accepted as an alias.
const FRIENDLY_FLAGS: &[(&str, &str)] = &[
    ("status_str", "status"),
    ("pi_action", "action"),
    ("payment_direction", "direction"),
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let spec_path = match std::env::var_os("DEP_INGO_BANKING_SPEC") {
        Some(path) => PathBuf::from(path),
        None => ingo_codegen::exit_with(&SpecError {
            path: manifest_dir.join("Cargo.toml"),
            problem: "ingo-banking did not say which spec it was generated from \
                      (DEP_INGO_BANKING_SPEC is unset)"
                .into(),
        }),
    };
    println!("cargo:rerun-if-changed={}", spec_path.display());
    // For the snapshot test of the generated source (tests/generated_source.rs).
    println!(
        "cargo::rustc-env=INGO_BANKING_SPEC_FILE={}",
        spec_path.display()
    );
    let spec = ingo_codegen::load(&spec_path).unwrap_or_else(|e| ingo_codegen::exit_with(&e));
    ingo_codegen::write_or_exit(generate(&spec), &out_dir, "ingo_cli.rs");
}

fn generate(spec: &LoadedSpec) -> Result<String, SpecError> {
    let fail = |problem: String| SpecError {
        path: spec.path.clone(),
        problem,
    };
    let secret_fields = &spec.credential_fields;
    let mut entries = Vec::new();
    let mut arms = Vec::new();
    let mut friendly_seen = BTreeSet::new();
    for op in &spec.operations {
        let raw = raw_operation(&spec.openapi, &op.id)
            .ok_or_else(|| fail(format!("operation `{}` vanished from the spec", op.id)))?;
        if !raw.parameters.is_empty() {
            return Err(fail(format!(
                "operation `{}` has path/query/header parameters; the `ingo` CLI generator supports \
                 operations whose input is a JSON body only",
                op.id
            )));
        }
        let fields: Vec<&RequestField> = op
            .body_fields
            .iter()
            // No flag for a credential the client fills, nor a field the server sets.
            .filter(|f| !secret_fields.contains(&f.name) && !f.rule.read_only)
            .collect();
        // The friendly form: `<first tag> <first word of the operationId>`.
        let friendly = raw.tags.first().map(|tag| {
            (
                kebab(tag),
                kebab(op.names.method.split('_').next().unwrap_or_default()),
            )
        });
        let friendly = friendly.filter(|pair| friendly_seen.insert(pair.clone()));
        entries.push(entry(op, raw, &fields, friendly));
        if op.paging.is_some() && op.body_schema.is_some() {
            let method = syn::parse_str::<syn::Ident>(&op.names.method)
                .map_err(|_| fail(format!("operation `{}`: no Rust method name for it", op.id)))?;
            let id = &op.id;
            arms.push(
                quote!(#id => crate::run::list(client.#method().body_json(body), ctx).await,),
            );
        }
    }
    let tokens = quote! {
        /// Every operation of the spec, as the CLI offers it.
        pub static OPERATIONS: &[crate::args::CliOperation] = &[#(#entries),*];

        /// Run the operation `id` with the request body `body` (the flags, as JSON).
        pub async fn dispatch(
            client: &ingo_banking::Client,
            id: &str,
            body: serde_json::Value,
            ctx: &crate::run::Context,
        ) -> Result<(), crate::failure::Failure> {
            match id {
                #(#arms)*
                other => crate::run::single(client.call_json(other, body).await?, ctx),
            }
        }
    };
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| fail(format!("generated CLI does not parse: {e}")))?;
    Ok(prettyplease::unparse(&file))
}

fn raw_operation<'a>(
    openapi: &'a openapiv3::OpenAPI,
    id: &str,
) -> Option<&'a openapiv3::Operation> {
    openapi
        .operations()
        .map(|(_, _, op)| op)
        .find(|op| op.operation_id.as_deref() == Some(id))
}

/// A tag or a field name as a command or flag: `dateOfBirth` -> `date-of-birth`.
fn kebab(s: &str) -> String {
    heck::ToKebabCase::to_kebab_case(s.trim())
}

/// The item schema's property names, in spec order (the csv/table columns).
fn columns(op: &Operation) -> Vec<String> {
    op.paging
        .as_ref()
        .map(|p| p.item_properties.clone())
        .unwrap_or_default()
}

fn opt<T: quote::ToTokens>(v: Option<T>) -> TokenStream {
    match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

fn entry(
    op: &Operation,
    raw: &openapiv3::Operation,
    fields: &[&RequestField],
    friendly: Option<(String, String)>,
) -> TokenStream {
    let id = &op.id;
    let command = &op.names.command;
    let about = op
        .summary
        .clone()
        .unwrap_or_else(|| format!("{} {}", op.method, op.path));
    let long_about = match &raw.description {
        Some(d) => format!("{about}\n\n{}\n\n{} {}", d.trim(), op.method, op.path),
        None => format!("{about}\n\n{} {}", op.method, op.path),
    };
    let (noun, verb) = match &friendly {
        Some((n, v)) => (quote!(Some(#n)), quote!(Some(#v))),
        None => (quote!(None), quote!(None)),
    };
    let paginated = op.paging.is_some();
    let columns = columns(op);
    let flags: Vec<String> = fields.iter().map(|f| kebab(&f.name)).collect();
    let fields = fields.iter().map(|f| {
        let name = &f.name;
        let flag = kebab(name);
        let friendly = FRIENDLY_FLAGS
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, friendly)| friendly.to_string())
            .filter(|friendly| !flags.contains(friendly));
        let friendly = opt(friendly);
        let help = help(f);
        let required = f.required;
        let kind = field_kind(name, &f.rule);
        quote! {
            crate::args::CliField {
                name: #name, flag: #flag, friendly: #friendly, help: #help, required: #required, kind: #kind,
            }
        }
    });
    quote! {
        crate::args::CliOperation {
            id: #id,
            command: #command,
            noun: #noun,
            verb: #verb,
            about: #about,
            long_about: #long_about,
            paginated: #paginated,
            columns: &[#(#columns),*],
            fields: &[#(#fields),*],
        }
    }
}

/// The spec's description, and what it does not say of the value's form.
fn help(f: &RequestField) -> String {
    let description = f.description.clone().unwrap_or_default();
    format!("{description} {}", f.rules_text(Prose::Flag))
        .trim()
        .to_string()
}

/// The flag kind of a body field (see `FieldKind` in `src/args.rs`).
fn field_kind(name: &str, rule: &Rule) -> TokenStream {
    let int = |v: Option<f64>, exclusive: bool, step: i64| {
        opt(v.filter(|v| v.is_finite()).map(|v| {
            let v = if step > 0 { v.ceil() } else { v.floor() } as i64;
            if exclusive { v + step } else { v }
        }))
    };
    let float = |v: Option<f64>| {
        opt(v
            .filter(|v| v.is_finite())
            .map(proc_macro2::Literal::f64_suffixed))
    };
    match rule.kind {
        Kind::Integer => {
            let min = int(rule.minimum, rule.exclusive_minimum, 1);
            let max = int(rule.maximum, rule.exclusive_maximum, -1);
            quote!(crate::args::FieldKind::Integer { min: #min, max: #max })
        }
        Kind::Number => {
            // Exclusive bounds are left to the client's check, which names them.
            let (min, max) = (float(rule.minimum), float(rule.maximum));
            quote!(crate::args::FieldKind::Number { min: #min, max: #max })
        }
        Kind::Boolean => quote!(crate::args::FieldKind::Boolean),
        Kind::String if !rule.enum_values.is_empty() => {
            let values = &rule.enum_values;
            quote!(crate::args::FieldKind::OneOf(&[#(#values),*]))
        }
        Kind::String if rule.format_is("date-time") => {
            // An end bound given as a plain date means the end of that day.
            let end = name.starts_with("end") || name.ends_with("_to") || name.ends_with("_before");
            quote!(crate::args::FieldKind::DateTime { end_of_day: #end })
        }
        Kind::String if rule.format_is("date") => quote!(crate::args::FieldKind::Date),
        Kind::String => {
            let (min, max) = (opt(rule.min_length), opt(rule.max_length));
            quote!(crate::args::FieldKind::Text { min_len: #min, max_len: #max })
        }
        Kind::Array
            if rule.items.as_ref().is_some_and(|i| {
                matches!(
                    i.kind,
                    Kind::String | Kind::Integer | Kind::Number | Kind::Boolean
                )
            }) =>
        {
            let item = rule.items.as_ref().map(|i| field_kind(name, i));
            quote!(crate::args::FieldKind::List(&#item))
        }
        Kind::Array => {
            let items = match rule.items.as_deref() {
                Some(items) if items.is_object() => format!(" of objects: {}", object_hint(items)),
                _ => String::new(),
            };
            json(quote!(Array), format!("A JSON array{items}."))
        }
        _ if rule.is_object() => json(
            quote!(Object),
            format!("A JSON object: {}.", object_hint(rule)),
        ),
        _ => json(quote!(Any), "JSON.".to_string()),
    }
}

fn json(shape: TokenStream, hint: String) -> TokenStream {
    quote!(crate::args::FieldKind::Json { shape: crate::args::JsonShape::#shape, hint: #hint })
}

/// The keys an object schema names, through `allOf`, with `oneOf`/`anyOf`
/// alternatives spelled out: `{line1 (required), city} or {…}`.
fn object_hint(rule: &Rule) -> String {
    fn keys(rule: &Rule, out: &mut Vec<String>) {
        for p in &rule.properties {
            let mut key = p.name.clone();
            match (p.required, p.rule.enum_values.as_slice()) {
                (true, [only]) => key += &format!(" (required, \"{only}\")"),
                (true, _) => key += " (required)",
                (false, [only]) => key += &format!(" (\"{only}\")"),
                _ => {}
            }
            if !out
                .iter()
                .any(|k| k.split(' ').next() == Some(p.name.as_str()))
            {
                out.push(key);
            }
        }
        rule.all_of.iter().for_each(|part| keys(part, out));
    }
    let mut common = Vec::new();
    keys(rule, &mut common);
    let alternatives: Vec<String> = rule
        .any_of
        .iter()
        .chain(rule.all_of.iter().flat_map(|p| &p.any_of))
        .map(|alt| {
            let mut k = common.clone();
            keys(alt, &mut k);
            format!("{{{}}}", k.join(", "))
        })
        .collect();
    match (
        alternatives.is_empty(),
        rule.additional.is_some(),
        common.is_empty(),
    ) {
        (false, _, _) => format!("one of {}", alternatives.join(" or ")),
        (true, true, true) => "any keys".to_string(),
        (true, true, false) => format!("{{{}}} and any other keys", common.join(", ")),
        (true, false, _) => format!("{{{}}}", common.join(", ")),
    }
}
