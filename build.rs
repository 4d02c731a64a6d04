//! Generates the client from the OpenAPI spec at compile time; see `codegen/`.
//! Set `INGO_SPEC` to build from another spec file, and `INGO_SPEC_OVERLAY`
//! to apply OpenAPI Overlays to it first (both relative to this folder).

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let spec_path = ingo_codegen::spec_path(&manifest_dir, "spec/ingo-banking.yaml");
    let overlays = ingo_codegen::spec_overlays(&manifest_dir);
    let spec = ingo_codegen::load_with(&spec_path, &overlays)
        .unwrap_or_else(|e| ingo_codegen::exit_with(&e));
    // The document generated from (overlays applied): `SPEC`, and what
    // dependents' build scripts read as DEP_INGO_BANKING_SPEC (see `links`),
    // so the CLI and the sandbox follow the same spec.
    ingo_codegen::write_or_exit(ingo_codegen::document(&spec), &out_dir, "spec.yaml");
    println!(
        "cargo::metadata=spec={}",
        out_dir.join("spec.yaml").display()
    );
    // For the snapshot tests of the generated source: which spec it is.
    let source = match overlays.len() {
        0 => spec_path.display().to_string(),
        n => format!("{} with {n} overlays", spec_path.display()),
    };
    println!("cargo::metadata=source={source}");
    println!("cargo::rustc-env=INGO_BANKING_SPEC_FILE={source}");
    ingo_codegen::write_or_exit(
        ingo_codegen::generate_client(&spec),
        &out_dir,
        "ingo_banking.rs",
    );
}
