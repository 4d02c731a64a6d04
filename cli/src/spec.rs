//! `ingo spec …`: the spec's own tools, which need no credentials.
//!
//! * `ingo spec drift LOG… [--spec FILE]` reads drift logs (what the client
//!   observed the server send beyond the spec, `--drift-log`) and writes the
//!   OpenAPI Overlay 1.0 document that adopts it.
//! * `ingo spec apply [--spec FILE] --overlay FILE…` prints the spec with
//!   the overlays applied: what `INGO_SPEC_OVERLAY` builds the client from.
//!
//! Both default to the spec this `ingo` was generated from.

use std::io::Write;

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::failure::Failure;

/// The most a log, a spec or an overlay read here may weigh.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

pub fn command() -> Command {
    let spec = || {
        Arg::new("spec")
            .long("spec")
            .value_name("FILE")
            .help("The spec (YAML or JSON) [default: the one this ingo was generated from]")
    };
    Command::new("spec")
        .about("The spec's tools: adopt observed drift as an overlay, apply overlays")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("drift")
                .about("Turn drift logs into an OpenAPI Overlay 1.0 document (on stdout)")
                .long_about(
                    "Turn drift logs (written by --drift-log, INGO_DRIFT_LOG or \
                     ClientBuilder::drift_log) into an OpenAPI Overlay 1.0 document, on stdout: \
                     new response fields become optional properties with the type seen, new enum \
                     values are appended, undocumented statuses are documented, a required field \
                     that never came becomes optional. Values that broke a format or a pattern are \
                     listed on stderr for you to judge. Review the overlay, then build with \
                     INGO_SPEC_OVERLAY=FILE (`ingo spec apply` shows the merged spec).",
                )
                .arg(
                    Arg::new("logs")
                        .value_name("LOG")
                        .required(true)
                        .num_args(1..)
                        .help("Drift logs (NDJSON), one or more: their counts add up"),
                )
                .arg(spec()),
        )
        .subcommand(
            Command::new("apply")
                .about("Print the spec with overlays applied (what INGO_SPEC_OVERLAY builds from)")
                .arg(spec())
                .arg(
                    Arg::new("overlay")
                        .long("overlay")
                        .value_name("FILE")
                        .required(true)
                        .action(ArgAction::Append)
                        .help(
                            "An OpenAPI Overlay 1.0 document; repeat for several, applied in order",
                        ),
                ),
        )
}

/// Run `ingo spec <matches>`.
pub fn run(matches: &ArgMatches) -> Result<(), Failure> {
    match matches.subcommand() {
        Some(("drift", m)) => drift(m),
        Some(("apply", m)) => apply(m),
        _ => Err(Failure::Usage(
            "`ingo spec` takes `drift` or `apply`".into(),
        )),
    }
}

fn read(path: &str) -> Result<String, Failure> {
    let fail = |e: String| Failure::Usage(format!("{path}: {e}"));
    let size = std::fs::metadata(path)
        .map_err(|e| fail(e.to_string()))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(fail(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))
}

fn spec(m: &ArgMatches) -> Result<serde_yaml::Value, Failure> {
    let (name, text) = match m.get_one::<String>("spec") {
        Some(path) => (path.as_str(), read(path)?),
        None => ("the built-in spec", ingo_banking::SPEC.to_string()),
    };
    ingo_overlay::parse(&text).map_err(|e| Failure::Usage(format!("{name}: {e}")))
}

fn print(document: &serde_yaml::Value) -> Result<(), Failure> {
    let text = serde_yaml::to_string(document)
        .map_err(|e| Failure::Usage(format!("cannot write YAML: {e}")))?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn drift(m: &ArgMatches) -> Result<(), Failure> {
    let mut logs = Vec::new();
    for path in m.get_many::<String>("logs").into_iter().flatten() {
        logs.push((path.clone(), read(path)?));
    }
    let entries = ingo_overlay::drift::read(&logs).map_err(Failure::Usage)?;
    if entries.is_empty() {
        eprintln!("ingo: no drift in the logs: nothing to adopt");
        return Ok(());
    }
    let (overlay, notes) = ingo_overlay::drift::overlay(&spec(m)?, &entries);
    for note in &notes {
        eprintln!("ingo: note: {note}");
    }
    let actions = overlay
        .get("actions")
        .and_then(serde_yaml::Value::as_sequence)
        .map_or(0, Vec::len);
    if actions == 0 {
        eprintln!("ingo: none of the drift becomes an overlay action (see the notes)");
        return Ok(());
    }
    print(&overlay)
}

fn apply(m: &ArgMatches) -> Result<(), Failure> {
    let mut document = spec(m)?;
    for path in m.get_many::<String>("overlay").into_iter().flatten() {
        let overlay = ingo_overlay::parse(&read(path)?)
            .map_err(|e| Failure::Usage(format!("{path}: {e}")))?;
        ingo_overlay::apply(&mut document, &overlay)
            .map_err(|e| Failure::Usage(format!("{path}: {e}")))?;
    }
    print(&document)
}
