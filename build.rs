//! Generates the client from the OpenAPI spec at compile time; see `codegen/`.
//! Set `INGO_SPEC` to build from another spec file (relative to this folder).

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let spec_path = ingo_codegen::spec_path(&manifest_dir, "spec/ingo-banking.yaml");
    let spec = ingo_codegen::load(&spec_path).unwrap_or_else(|e| ingo_codegen::exit_with(&e));
    // Dependents' build scripts read it as DEP_INGO_BANKING_SPEC (see `links`).
    println!("cargo::metadata=spec={}", spec_path.display());
    // For the snapshot test of the generated source (tests/generated_source.rs).
    println!(
        "cargo::rustc-env=INGO_BANKING_SPEC_FILE={}",
        spec_path.display()
    );
    // The spec itself, for `ingo_banking::SPEC`: the sandbox serves from it.
    if let Err(e) = std::fs::copy(&spec_path, out_dir.join("spec.yaml")) {
        ingo_codegen::exit_with(&ingo_codegen::SpecError {
            path: spec_path.clone(),
            problem: format!("cannot copy into OUT_DIR: {e}"),
        });
    }
    ingo_codegen::write_or_exit(
        ingo_codegen::generate_client(&spec),
        &out_dir,
        "ingo_banking.rs",
    );
}
