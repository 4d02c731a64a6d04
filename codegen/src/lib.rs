//! Build-time generator shared by `ingo-banking` (the client) and `ingo-cli`.
//!
//! The flow is `spec YAML -> openapiv3 -> (our pre-pass) -> progenitor -> syn ->
//! prettyplease -> OUT_DIR`. The pre-pass and the extras (pagination traits,
//! request rules, open enums) are derived from the spec alone, so an operation
//! added to the YAML needs no handwritten code.

mod extras;
pub mod model;
mod prepare;
mod spec;

use std::fmt;
use std::path::{Path, PathBuf};

pub use spec::{Kind, Operation, Paging, RequestField, Rule};

/// A failure that names the spec file and what is wrong with it.
#[derive(Debug)]
pub struct SpecError {
    pub path: PathBuf,
    pub problem: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

impl std::error::Error for SpecError {}

/// The spec after loading and the pre-pass, with what the extras need to know.
pub struct LoadedSpec {
    pub path: PathBuf,
    pub openapi: openapiv3::OpenAPI,
    /// Named string enums that responses use: generated as open enums.
    pub open_enums: Vec<prepare::OpenEnum>,
    /// Named `format: decimal` strings: generated as `rust_decimal::Decimal`.
    pub decimals: Vec<String>,
    pub operations: Vec<Operation>,
    /// Body fields that carry a credential (an `apiKey` security scheme's
    /// `name`): the client fills them, so no setter or flag is generated.
    pub credential_fields: std::collections::BTreeSet<String>,
}

/// The spec file to use: `$INGO_SPEC` (relative paths against `manifest_dir`)
/// or `default` under `manifest_dir`. Prints the `cargo:rerun-if-*` lines.
pub fn spec_path(manifest_dir: &Path, default: &str) -> PathBuf {
    println!("cargo:rerun-if-env-changed=INGO_SPEC");
    let path = match std::env::var_os("INGO_SPEC") {
        Some(p) if !p.is_empty() => manifest_dir.join(p),
        _ => manifest_dir.join(default),
    };
    println!("cargo:rerun-if-changed={}", path.display());
    path
}

/// Read, parse and prepare the spec.
pub fn load(path: &Path) -> Result<LoadedSpec, SpecError> {
    let fail = |problem: String| SpecError {
        path: path.to_path_buf(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let mut openapi: openapiv3::OpenAPI = serde_yaml::from_str(&text)
        .map_err(|e| fail(format!("not a valid OpenAPI 3.0 document: {e}")))?;
    if !openapi.openapi.starts_with("3.0") {
        return Err(fail(format!(
            "`openapi: {}` is not supported; progenitor reads OpenAPI 3.0.x",
            openapi.openapi
        )));
    }
    // Read the operations (and their request rules) before the pre-pass
    // loosens the request schemas for typify.
    let operations = spec::operations(&openapi).map_err(fail)?;
    let prepared = prepare::prepare(&mut openapi).map_err(fail)?;
    let credential_fields = spec::credential_fields(&openapi);
    Ok(LoadedSpec {
        credential_fields,
        path: path.to_path_buf(),
        openapi,
        open_enums: prepared.open_enums,
        decimals: prepared.decimals,
        operations,
    })
}

/// The progenitor settings both the client and the CLI generate with.
pub fn settings(spec: &LoadedSpec) -> progenitor::GenerationSettings {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(quote::quote!(crate::hooks::Inner))
        .with_derive("PartialEq");
    for open in &spec.open_enums {
        settings.with_replacement(
            &open.name,
            format!("crate::types::{}", open.name),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    for name in &spec.decimals {
        settings.with_replacement(
            name,
            "::rust_decimal::Decimal",
            [
                progenitor::TypeImpl::Display,
                progenitor::TypeImpl::FromStr,
                progenitor::TypeImpl::Default,
            ]
            .into_iter(),
        );
    }
    settings
}

/// Generate the client: progenitor's code plus the extras, formatted.
pub fn generate_client(spec: &LoadedSpec) -> Result<String, SpecError> {
    let fail = |problem: String| SpecError {
        path: spec.path.clone(),
        problem,
    };
    let tokens = without_panics(|| {
        progenitor::Generator::new(&settings(spec)).generate_tokens(&spec.openapi)
    })
    .map_err(|panic| fail(format!("progenitor cannot generate a client: {panic}")))?
    .map_err(|e| fail(format!("progenitor cannot generate a client: {e}")))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| fail(format!("generated code does not parse: {e}")))?;
    extras::add_open_enums(&mut file, &spec.open_enums).map_err(fail)?;
    extras::hide_raw_entry_points(&mut file).map_err(fail)?;
    let flat =
        extras::flat_builders(&spec.operations, &file, &spec.credential_fields).map_err(fail)?;
    model::module_mut(&mut file, "types")
        .ok_or_else(|| fail("progenitor's output has no `types` module".into()))?
        .extend(flat);
    let builder_items = extras::builder_extras(&spec.operations).map_err(fail)?;
    model::module_mut(&mut file, "builder")
        .ok_or_else(|| fail("progenitor's output has no `builder` module".into()))?
        .extend(builder_items);
    let extra: syn::File =
        syn::parse2(extras::client_extras(&spec.operations, &file).map_err(fail)?)
            .map_err(|e| fail(format!("generated extras do not parse: {e}")))?;
    file.items.extend(extra.items);
    Ok(prettyplease::unparse(&file))
}

/// Run `f`, turning a panic inside the generator (progenitor and typify
/// assert on some shapes they do not support) into its message, so the build
/// fails with the spec's name instead of a backtrace.
fn without_panics<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an internal error".to_string());
        format!("a shape in the spec it does not support ({message})")
    })
}

/// Write `contents` to `out_dir/name`, or exit the build script with a message
/// that names the spec file and the problem (no panic backtrace).
pub fn write_or_exit(result: Result<String, SpecError>, out_dir: &Path, name: &str) {
    let outcome = result.and_then(|code| {
        std::fs::write(out_dir.join(name), code).map_err(|e| SpecError {
            path: out_dir.join(name),
            problem: format!("cannot write generated code: {e}"),
        })
    });
    if let Err(e) = outcome {
        exit_with(&e);
    }
}

/// Print the error the way cargo shows build-script failures, and exit 1.
pub fn exit_with(e: &SpecError) -> ! {
    eprintln!("error: {e}");
    println!("cargo:warning=ingo spec error: {e}");
    std::process::exit(1)
}
