//! `ingo`: a command line for Ingo Payments' Banking Platform API v4.
//!
//! Every operation of the spec is a subcommand, generated at build time
//! (`build.rs`); see `ingo --help`.

mod args;
mod failure;
mod output;
mod run;
mod spec;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/ingo_cli.rs"));
}

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut cmd = args::command();
    // Usage errors exit 2 (help and version exit 0).
    let matches = cmd.clone().get_matches();
    if let Some(("spec", spec)) = matches.subcommand() {
        return match spec::run(spec) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) if failure.is_broken_pipe() => ExitCode::SUCCESS,
            Err(failure) => {
                run::report(&failure, 0);
                ExitCode::from(failure.exit_code())
            }
        };
    }
    let invocation = match args::parse(&mut cmd, &matches) {
        Ok(invocation) => invocation,
        Err(e) => e.exit(),
    };
    // One thread: a run is one request or one walk, whose prefetch keeps the
    // next request out while this thread writes (the server works meanwhile);
    // worker threads only added wake-ups between them (~5-10 % more CPU).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ingo: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::run(&invocation)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if failure.is_broken_pipe() => ExitCode::SUCCESS,
        Err(failure) => {
            run::report(&failure, invocation.verbose);
            ExitCode::from(failure.exit_code())
        }
    }
}
