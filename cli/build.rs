//! Generates the `ingo` subcommands from the OpenAPI spec, with no
//! handwritten code per operation.
//!
//! For every operation of the spec this writes, to `OUT_DIR/ingo_cli.rs`:
//! * an entry of `OPERATIONS` (a static table: command names, help texts,
//!   one flag per body field with its constraints, the item columns), from
//!   which `src/args.rs` builds the clap commands at run time;
//! * an arm of `dispatch`, which decodes the flags into the operation's typed
//!   request body and runs the client's builder through `src/run.rs`.
//!
//! The spec is the one `ingo-banking` was generated from (its build script
//! passes the path as `DEP_INGO_BANKING_SPEC`), so the commands always match
//! the client; `INGO_SPEC` switches both.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ingo_codegen::{LoadedSpec, Operation, RequestField, SpecError};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

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
    let spec = ingo_codegen::load(&spec_path).unwrap_or_else(|e| ingo_codegen::exit_with(&e));
    ingo_codegen::write_or_exit(generate(&spec), &out_dir, "ingo_cli.rs");
}

fn generate(spec: &LoadedSpec) -> Result<String, SpecError> {
    let fail = |problem: String| SpecError {
        path: spec.path.clone(),
        problem,
    };
    let secret_fields = api_key_fields(&spec.openapi);
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
            .filter(|f| !secret_fields.contains(&f.name))
            .collect();
        // The friendly form: `<first tag> <first word of the operationId>`.
        let friendly = raw
            .tags
            .first()
            .map(|tag| (kebab(tag), kebab(op.id.split('_').next().unwrap_or(&op.id))));
        let friendly = friendly.filter(|pair| friendly_seen.insert(pair.clone()));
        entries.push(entry(spec, op, raw, &fields, friendly));
        arms.push(arm(op, &spec.path)?);
    }
    let tokens = quote! {
        /// Every operation of the spec, as the CLI offers it.
        pub static OPERATIONS: &[crate::args::CliOperation] = &[#(#entries),*];

        /// Run the operation `id` with the request body `body` (the flags, as JSON).
        pub async fn dispatch(
            client: &ingo_banking::Client,
            id: &str,
            #[allow(unused_variables)] body: serde_json::Value,
            ctx: &crate::run::Context,
        ) -> Result<(), crate::run::Failure> {
            match id {
                #(#arms)*
                other => Err(crate::run::Failure::Usage(format!("unknown operation `{other}`"))),
            }
        }
    };
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| fail(format!("generated CLI does not parse: {e}")))?;
    Ok(prettyplease::unparse(&file))
}

/// Body fields that carry a credential (an `apiKey` security scheme's name):
/// never flags of their own, the client fills them from `--api-key`.
fn api_key_fields(openapi: &openapiv3::OpenAPI) -> BTreeSet<String> {
    let schemes = openapi
        .components
        .iter()
        .flat_map(|c| c.security_schemes.values());
    schemes
        .filter_map(|s| match s.as_item() {
            Some(openapiv3::SecurityScheme::APIKey { name, .. }) => Some(name.clone()),
            _ => None,
        })
        .collect()
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

fn kebab(s: &str) -> String {
    s.trim().replace(['_', ' '], "-").to_lowercase()
}

/// The item schema's property names, in spec order (the csv/table columns).
fn columns(spec: &LoadedSpec, op: &Operation) -> Vec<String> {
    let Some(paging) = &op.paging else {
        return Vec::new();
    };
    let normal = |s: &str| s.replace(['_', '-'], "").to_lowercase();
    let schemas = spec
        .openapi
        .components
        .iter()
        .flat_map(|c| c.schemas.iter());
    schemas
        .filter(|(name, _)| normal(name) == normal(&paging.item_type))
        .filter_map(|(_, schema)| match &schema.as_item()?.schema_kind {
            openapiv3::SchemaKind::Type(openapiv3::Type::Object(o)) => {
                Some(o.properties.keys().cloned().collect())
            }
            _ => None,
        })
        .next()
        .unwrap_or_default()
}

fn opt<T: quote::ToTokens>(v: Option<T>) -> TokenStream {
    match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

fn entry(
    spec: &LoadedSpec,
    op: &Operation,
    raw: &openapiv3::Operation,
    fields: &[&RequestField],
    friendly: Option<(String, String)>,
) -> TokenStream {
    let id = &op.id;
    let command = kebab(&op.id);
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
    let columns = columns(spec, op);
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
        let help = f.description.clone().unwrap_or_default();
        let required = f.required;
        let kind = if f.integer {
            let (min, max) = (opt(f.minimum), opt(f.maximum));
            quote!(crate::args::FieldKind::Integer { min: #min, max: #max })
        } else if !f.enum_values.is_empty() {
            let values = &f.enum_values;
            quote!(crate::args::FieldKind::OneOf(&[#(#values),*]))
        } else if f.date_time {
            // An end bound given as a plain date means the end of that day.
            let end = name.starts_with("end") || name.ends_with("_to") || name.ends_with("_before");
            quote!(crate::args::FieldKind::DateTime { end_of_day: #end })
        } else {
            let (min, max) = (opt(f.min_length), opt(f.max_length));
            quote!(crate::args::FieldKind::Text { min_len: #min, max_len: #max })
        };
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

fn arm(op: &Operation, spec_path: &Path) -> Result<TokenStream, SpecError> {
    let id = &op.id;
    let method = format_ident!("{}", op.id);
    let call = match &op.body_type {
        Some(body) => {
            let ty: syn::Type =
                syn::parse_str(&format!("ingo_banking::types::{body}")).map_err(|e| SpecError {
                    path: spec_path.to_path_buf(),
                    problem: format!("operation `{}`: `{body}` is not a Rust type: {e}", op.id),
                })?;
            quote!(client.#method().body(crate::run::body::<#ty>(body)?))
        }
        None => quote!(client.#method()),
    };
    let run = if op.paging.is_some() {
        quote!(crate::run::list(#call, ctx).await)
    } else {
        quote!(crate::run::single(#call, ctx).await)
    };
    Ok(quote!(#id => #run,))
}
