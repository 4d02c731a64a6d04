//! The generated client's source, pinned. A change of the generator (an
//! upgrade of progenitor or typify, or an edit of `codegen/`) shows here as a
//! diff of `tests/snapshots/generated_source__client.snap`: review it, then
//! accept it (README, "Upgrading the generator").

#[test]
fn the_generated_client_source() {
    let spec = env!("INGO_BANKING_SPEC_FILE");
    if !spec.ends_with("spec/ingo-banking.yaml") {
        eprintln!("skipped: the client was generated from {spec}, not the project's spec");
        return;
    }
    let source = include_str!(concat!(env!("OUT_DIR"), "/ingo_banking.rs"));
    insta::assert_snapshot!("client", source);
}
