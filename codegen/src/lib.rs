//! Build-time generator shared by `ingo-banking` (the client) and `ingo-cli`.
//!
//! The flow is `spec YAML -> openapiv3 -> (our pre-pass) -> progenitor -> syn ->
//! prettyplease -> OUT_DIR`. The pre-pass and the extras (pagination traits,
//! request rules, open enums) are derived from the spec alone, so an operation
//! added to the YAML needs no handwritten code.

mod extras;
mod keywords;
mod openapi;
mod prepare;
mod spec;
mod types;

use std::fmt;
use std::path::{Path, PathBuf};

pub use openapi::OperationNames;
pub use spec::{Kind, Operation, Paging, Prose, RequestField, Rule};

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
    /// The document as generated from: the spec with its overlays applied.
    pub document: serde_yaml::Value,
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

/// The overlays to apply to the spec: `$INGO_SPEC_OVERLAY`, files separated
/// by `:` (relative paths against `manifest_dir`), in order. Prints the
/// `cargo:rerun-if-*` lines.
pub fn spec_overlays(manifest_dir: &Path) -> Vec<PathBuf> {
    println!("cargo:rerun-if-env-changed=INGO_SPEC_OVERLAY");
    let overlays: Vec<PathBuf> = std::env::var("INGO_SPEC_OVERLAY")
        .unwrap_or_default()
        .split(':')
        .filter(|p| !p.trim().is_empty())
        .map(|p| manifest_dir.join(p.trim()))
        .collect();
    for overlay in &overlays {
        println!("cargo:rerun-if-changed={}", overlay.display());
    }
    overlays
}

/// Read, parse and prepare the spec.
pub fn load(path: &Path) -> Result<LoadedSpec, SpecError> {
    load_with(path, &[])
}

/// Read the spec, apply `overlays` to it in order (a malformed overlay, or
/// an action whose target selects nothing, is an error naming the overlay
/// file and the action), then parse and prepare it.
pub fn load_with(path: &Path, overlays: &[PathBuf]) -> Result<LoadedSpec, SpecError> {
    let fail = |problem: String| SpecError {
        path: path.to_path_buf(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let mut merged = ingo_overlay::parse(&text)
        .map_err(|e| fail(format!("not a valid OpenAPI 3.0 document: {e}")))?;
    for overlay in overlays {
        let fail = |problem: String| SpecError {
            path: overlay.clone(),
            problem,
        };
        let text =
            std::fs::read_to_string(overlay).map_err(|e| fail(format!("cannot read: {e}")))?;
        let parsed = ingo_overlay::parse(&text).map_err(fail)?;
        ingo_overlay::apply(&mut merged, &parsed).map_err(fail)?;
    }
    let document: serde_json::Value = serde_json::to_value(&merged)
        .map_err(|e| fail(format!("not a valid OpenAPI 3.0 document: {e}")))?;
    let version = document.get("openapi").and_then(serde_json::Value::as_str);
    if !version.is_some_and(|v| v.starts_with("3.0")) {
        return Err(fail(format!(
            "`openapi: {}` is not supported; progenitor reads OpenAPI 3.0.x",
            version.unwrap_or("(none)")
        )));
    }
    keywords::check(&document).map_err(fail)?;
    // From the YAML document, not the JSON one: a JSON map sorts its keys,
    // and the order of properties is the order of the CLI's columns.
    let mut openapi: openapiv3::OpenAPI = serde_yaml::from_value(merged.clone())
        .map_err(|e| fail(format!("not a valid OpenAPI 3.0 document: {e}")))?;
    // Read the operations (and their request rules) before the pre-pass
    // loosens the request schemas for typify.
    let operations = spec::operations(&openapi).map_err(fail)?;
    let prepared = prepare::prepare(&mut openapi).map_err(fail)?;
    let credential_fields = spec::credential_fields(&openapi);
    Ok(LoadedSpec {
        credential_fields,
        document: merged,
        path: path.to_path_buf(),
        openapi,
        open_enums: prepared.open_enums,
        decimals: prepared.decimals,
        operations,
    })
}

/// The document the client is generated from (overlays applied), as YAML.
pub fn document(spec: &LoadedSpec) -> Result<String, SpecError> {
    serde_yaml::to_string(&spec.document).map_err(|e| SpecError {
        path: spec.path.clone(),
        problem: format!("cannot write the merged spec: {e}"),
    })
}

/// The progenitor settings the client is generated with.
fn settings(spec: &LoadedSpec) -> Result<progenitor_impl::GenerationSettings, String> {
    let mut settings = progenitor_impl::GenerationSettings::default();
    settings
        .with_interface(progenitor_impl::InterfaceStyle::Builder)
        .with_tag(progenitor_impl::TagStyle::Merged)
        .with_derive("PartialEq");
    for open in &spec.open_enums {
        let name = types::type_name(&open.name)?;
        settings.with_replacement(
            &name,
            format!("crate::types::{name}"),
            [
                progenitor_impl::TypeImpl::Display,
                progenitor_impl::TypeImpl::FromStr,
            ]
            .into_iter(),
        );
    }
    for decimal in &spec.decimals {
        settings.with_replacement(
            types::type_name(decimal)?,
            "::rust_decimal::Decimal",
            [
                progenitor_impl::TypeImpl::Display,
                progenitor_impl::TypeImpl::FromStr,
                progenitor_impl::TypeImpl::Default,
            ]
            .into_iter(),
        );
    }
    Ok(settings)
}

/// Generate the client: typify's types (through progenitor) and the extras, formatted.
pub fn generate_client(spec: &LoadedSpec) -> Result<String, SpecError> {
    let fail = |problem: String| SpecError {
        path: spec.path.clone(),
        problem,
    };
    let mut generator = progenitor_impl::Generator::new(&settings(spec).map_err(fail)?);
    // Its client code is not used (see `extras`); its type space is.
    types::without_panics(|| generator.generate_tokens(&spec.openapi))
        .map_err(|panic| fail(format!("progenitor cannot generate a client: {panic}")))?
        .map_err(|e| fail(format!("progenitor cannot generate a client: {e}")))?;
    let tokens = extras::generate(
        &spec.operations,
        generator.get_type_space(),
        &spec.open_enums,
        &spec.credential_fields,
    )
    .map_err(fail)?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| fail(format!("generated code does not parse: {e}")))?;
    Ok(prettyplease::unparse(&file))
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
