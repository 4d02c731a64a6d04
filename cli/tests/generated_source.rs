//! The generated CLI's source (its operation table and dispatch), pinned
//! like the client's: see the README, "Upgrading the generator".

#[test]
fn the_generated_cli_source() {
    let spec = env!("INGO_BANKING_SPEC_FILE");
    if !spec.ends_with("spec/ingo-banking.yaml") {
        eprintln!("skipped: the CLI was generated from {spec}, not the project's spec");
        return;
    }
    let source = include_str!(concat!(env!("OUT_DIR"), "/ingo_cli.rs"));
    insta::assert_snapshot!("cli", source);
}
