//! Running an operation: the client, one page or every page, and what fails.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ingo_banking::{Client, Credentials, ListOperation, RateLimit, RetryPolicy};
use serde::Serialize;
use serde_json::Value;

use crate::args::{Connection, Invocation};
use crate::failure::Failure;
use crate::output::{self, Format, Sink};

/// How to present a run.
pub struct Context {
    pub format: Format,
    pub all: bool,
    /// Draw a progress bar on stderr (a terminal) while walking pages.
    pub progress: bool,
    pub columns: &'static [&'static str],
}

/// Build the client and run the invocation.
pub async fn run(invocation: &Invocation) -> Result<(), Failure> {
    let client = client(&invocation.connection)?;
    let format = invocation.format.unwrap_or_else(|| {
        if io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        }
    });
    let ctx = Context {
        format,
        all: invocation.all,
        progress: invocation.all && io::stderr().is_terminal(),
        columns: invocation.operation.columns,
    };
    crate::generated::dispatch(
        &client,
        invocation.operation.id,
        invocation.body.clone(),
        &ctx,
    )
    .await
}

fn client(connection: &Connection) -> Result<Client, Failure> {
    let missing = |flag: &str, var: &str| {
        Failure::Usage(format!("missing credentials: pass --{flag} or set {var}"))
    };
    let api_key = connection
        .api_key
        .as_deref()
        .ok_or_else(|| missing("api-key", ingo_banking::ENV_API_KEY))?;
    let username = connection
        .hmac_username
        .as_deref()
        .ok_or_else(|| missing("hmac-username", ingo_banking::ENV_HMAC_USERNAME))?;
    let secret = connection
        .hmac_secret
        .as_deref()
        .ok_or_else(|| missing("hmac-secret", ingo_banking::ENV_HMAC_SECRET))?;
    let attempts = connection.retries.saturating_add(1);
    let mut builder = Client::builder()
        .credentials(Credentials::new(api_key, username, secret)?)
        .timeout(connection.timeout)
        .connect_timeout(connection.timeout.min(Duration::from_secs(10)))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(attempts)
                // Each attempt gets `--timeout`; the whole call, its retries
                // and their waits included, at most one timeout per attempt.
                .deadline(connection.timeout.saturating_mul(attempts)),
        )
        .rate_limit(
            (connection.rate_limit > 0).then(|| RateLimit::per_second(connection.rate_limit)),
        );
    if let Some(url) = &connection.base_url {
        builder = builder.base_url(url.clone());
    }
    for file in &connection.ca_certs {
        for certificate in ingo_banking::certificates(std::path::Path::new(file))? {
            builder = builder.add_root_certificate(certificate);
        }
    }
    if connection.api_key_in_body {
        builder = builder.api_key_placement(ingo_banking::ApiKeyPlacement::BodyField);
    }
    if let Some(url) = &connection.rate_limit_url {
        if connection.rate_limit == 0 {
            return Err(Failure::Usage(
                "--rate-limit-url shares a rate budget, and --rate-limit 0 turned pacing off"
                    .into(),
            ));
        }
        builder = builder.rate_limit_url(url.clone());
    }
    if let Some(path) = &connection.drift_log {
        builder = builder.drift_log(path.clone());
    }
    Ok(builder.build()?)
}

/// A paged list: one page, or with `--all` every page (the next one prefetched).
pub async fn list<'a, Op>(op: Op, ctx: &Context) -> Result<(), Failure>
where
    Op: ListOperation<'a>,
    Op::Item: Serialize,
{
    let mut sink = Sink::new(ctx.format, output::stdout(), ctx.columns);
    if !ctx.all {
        let response = op.call().await?;
        let (items, info) = Op::into_page(response).unwrap_or_default();
        for item in &items {
            sink.item(item)?;
        }
        sink.finish()?;
        if let Some(total) = info.total
            && info.page.saturating_mul(info.per_page) < total
            && io::stderr().is_terminal()
        {
            eprintln!(
                "page {} of {} ({total} items); --page N for another page, --all for every item",
                info.page,
                total.div_ceil(info.per_page.max(1))
            );
        }
        return Ok(());
    }
    // `pages()` rather than `items()` (which flattens the same walk) for the
    // `total` each page carries, which the progress bar shows.
    let mut pages = op.pages().prefetch(true);
    let bar = progress_bar(ctx.progress);
    let mut outcome = Ok(());
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                outcome = Err(Failure::Api(e));
                break;
            }
        };
        if let Some(total) = page.info.total {
            bar.set_length(total);
        }
        for item in &page.items {
            sink.item(item)?;
        }
        // Once a page: even a hidden bar reads the clock on every `inc`.
        bar.inc(page.items.len() as u64);
    }
    bar.finish_and_clear();
    // Close the output (valid JSON even when the walk stopped early); the exit code tells.
    sink.finish()?;
    outcome
}

/// An operation that does not page: its response, as it is.
pub fn single(response: Value, ctx: &Context) -> Result<(), Failure> {
    let sink = Sink::new(ctx.format, output::stdout(), ctx.columns);
    sink.single(&response)?;
    Ok(())
}

fn progress_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{spinner} {human_pos}/{human_len} items  {rate}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} items/s", state.per_sec());
                },
            );
    bar.set_style(style);
    bar
}

/// Write the error to stderr: one line, and with `-v` the details.
pub fn report(failure: &Failure, verbose: u8) {
    let mut causes = Vec::new();
    let mut source = match failure {
        Failure::Api(e) => std::error::Error::source(e),
        Failure::Output(e) => std::error::Error::source(e),
        Failure::Usage(_) => None,
    };
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let mut err = io::stderr().lock();
    // The error's own line names its root cause (and a write's idempotency key).
    let _ = writeln!(err, "ingo: error: {failure}");
    if verbose > 0 {
        let _ = writeln!(err, "  exit code: {}", failure.exit_code());
        let _ = writeln!(err, "  detail: {failure:?}");
        for cause in &causes {
            let _ = writeln!(err, "  caused by: {cause}");
        }
    }
    let _ = err.flush();
}
