//! The exact bytes of every output format, pinned by golden files.
//!
//! The files in `tests/golden/` were written by the CLI as it was before items
//! stopped going through a `serde_json::Value` (commit 40031ec): the direct
//! writer must reproduce them byte for byte, for json (the pretty array,
//! streamed), ndjson, csv and table (its 100-row width sample and `…` cuts),
//! over `--all` walks, single pages, contacts, empty results, and pages
//! carrying unknown enum values or unknown fields.
//!
//! `INGO_WRITE_GOLDEN=1 cargo test -p ingo-cli --test output_bytes` rewrites
//! the files instead of comparing: only for a deliberate change of the output
//! or of the sandbox's data, never to make a failing comparison pass.

mod common;

use std::path::PathBuf;

use common::*;
use ingo_sandbox::{FaultKind, FaultRule, Sandbox, SandboxConfig};

const FORMATS: [(&str, &str); 4] = [
    ("json", "json"),
    ("ndjson", "ndjson"),
    ("csv", "csv"),
    ("table", "txt"),
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Run `args` in every format and compare (or write) `<case>.<ext>`.
fn check(sandbox: &Sandbox, case: &str, args: &[&str]) {
    check_exit(sandbox, case, args, 0);
}

/// As [`check`], for a run that exits with `code`.
fn check_exit(sandbox: &Sandbox, case: &str, args: &[&str], code: i32) {
    let write = std::env::var_os("INGO_WRITE_GOLDEN").is_some();
    for (format, ext) in FORMATS {
        let run = ingo(sandbox)
            .args(args)
            .args(["-o", format])
            .output()
            .expect("run ingo");
        assert_eq!(
            run.status.code(),
            Some(code),
            "{case} -o {format}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let out = String::from_utf8(run.stdout).expect("utf-8 output");
        let path = golden_dir().join(format!("{case}.{ext}"));
        if write {
            std::fs::create_dir_all(golden_dir()).expect("create tests/golden");
            std::fs::write(&path, &out).expect("write a golden file");
            continue;
        }
        let golden = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        if out != golden {
            // Keep the new output beside the target dir for a diff.
            let actual = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{case}.{ext}"));
            let _ = std::fs::write(&actual, &out);
            let line = out
                .lines()
                .zip(golden.lines())
                .position(|(a, b)| a != b)
                .map_or_else(|| "a length".to_string(), |i| format!("line {}", i + 1));
            panic!(
                "{case} -o {format}: the output differs from {} at {line} (now {} bytes, was {}); the new output is in {}",
                path.display(),
                out.len(),
                golden.len(),
                actual.display()
            );
        }
    }
}

fn intents(count: u64, faults: Vec<FaultRule>) -> Sandbox {
    sandbox_with(SandboxConfig {
        payment_intents: count,
        faults,
        ..SandboxConfig::default()
    })
}

/// 150 intents over pages of 40: the table's sample (100 rows) ends inside a page.
#[test]
fn payment_intents_all() {
    let sb = intents(150, Vec::new());
    check(
        &sb,
        "intents-all",
        &["payment-intents", "list", "--all", "--per-page", "40"],
    );
}

/// One page, fewer rows than the table samples.
#[test]
fn payment_intents_one_page() {
    let sb = intents(230, Vec::new());
    check(
        &sb,
        "intents-page",
        &["payment-intents", "list", "--per-page", "12", "--page", "3"],
    );
}

/// Contacts: optional fields absent on some items (empty cells, no key).
#[test]
fn contacts_all() {
    let sb = sandbox();
    let (user, business) = sb.businesses().into_iter().next().expect("a business");
    check(
        &sb,
        "contacts-all",
        &[
            "contacts",
            "list",
            "--user-id",
            &user,
            "--business-id",
            &business,
            "--all",
            "--per-page",
            "7",
        ],
    );
}

/// A status and a direction the spec does not list, on every page.
#[test]
fn unknown_enum_values() {
    let sb = intents(60, vec![FaultRule::new(FaultKind::UnknownEnumValue)]);
    check(
        &sb,
        "intents-unknown-enum",
        &["payment-intents", "list", "--all", "--per-page", "25"],
    );
}

/// Fields the spec does not know, on the envelope, the page and every item.
#[test]
fn extra_fields() {
    let sb = intents(60, vec![FaultRule::new(FaultKind::ExtraFields)]);
    check(
        &sb,
        "intents-extra-fields",
        &["payment-intents", "list", "--all", "--per-page", "25"],
    );
    let (user, business) = sb.businesses().into_iter().next().expect("a business");
    check(
        &sb,
        "contacts-extra-fields",
        &[
            "contacts",
            "list",
            "--user-id",
            &user,
            "--business-id",
            &business,
            "--per-page",
            "20",
        ],
    );
}

#[test]
fn empty_result() {
    let sb = intents(50, Vec::new());
    check(
        &sb,
        "intents-empty",
        &[
            "payment-intents",
            "list",
            "--all",
            "--search",
            "no-such-thing-anywhere",
        ],
    );
}

/// A walk the API refuses: the output is still closed (an empty array, a
/// header). A walk cut after some pages is not pinned here: with prefetch,
/// which request the sandbox sees third is a race.
#[test]
fn walk_refused() {
    let sb = intents(
        100,
        vec![FaultRule::status(400, None).only(ingo_sandbox::PAYMENT_INTENTS_PATH)],
    );
    check_exit(
        &sb,
        "intents-refused",
        &["payment-intents", "list", "--all", "--per-page", "30"],
        3,
    );
}
