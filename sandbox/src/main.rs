//! `ingo-sandbox`: run the sandbox from a shell.
//!
//! Prints one shell-sourceable line once listening, then serves until
//! Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ingo_sandbox::{
    DEFAULT_REQUEST_ID_HEADER, EMPTY_BUSINESS_ID, FaultKind, FaultRule, FaultScope,
    NOT_FOUND_BUSINESS_ID, NOT_FOUND_USER_ID, PinnedSource, RateLimitMode, Sandbox, SandboxConfig,
};

/// A local stand-in for Ingo Payments' Banking Platform API v4: verifies
/// HMAC-SHA512 request signatures like the gateway, serves every operation
/// of the OpenAPI spec (validating requests, generating deterministic data),
/// and injects faults on demand.
///
/// Contacts are served for any user_id / business_id a request names (e.g.
/// user-demo / buss-demo); reserved ids give the error paths (see --help).
/// Any other operation of the spec is served from its schemas (--spec, --data).
///
/// Once listening it prints one line to stdout that a shell can `eval`
/// (or `export $(cat sandbox.env)`), and a hint about ids to stderr:
///
///   INGO_BASE_URL=http://127.0.0.1:PORT/api/v4 INGO_API_KEY=… INGO_HMAC_USERNAME=… INGO_HMAC_SECRET=…
#[derive(Debug, Parser)]
#[command(name = "ingo-sandbox", version, after_long_help = AFTER_LONG_HELP)]
struct Args {
    /// TCP port on 127.0.0.1 (0 = pick a free one; the line printed names it)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Seed of the deterministic data set
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of users named by payment intents' entity_id
    #[arg(long, default_value_t = 3)]
    users: usize,
    /// Businesses per user named by payment intents' entity_id
    #[arg(long, default_value_t = 2)]
    businesses_per_user: usize,
    /// Contacts of every business, whatever its ids (buss-empty… has none)
    #[arg(long, default_value_t = 37)]
    contacts_per_business: usize,
    /// Number of payment intents (computed on the fly; millions are fine)
    #[arg(long, default_value_t = 2_500)]
    payment_intents: u64,
    /// Sandbox clock = real time + SECS (may be negative)
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    clock_offset: i64,
    /// API key to accept (default: a fixed sandbox key)
    #[arg(long)]
    api_key: Option<String>,
    /// HMAC username to accept (default: a fixed sandbox username)
    #[arg(long)]
    hmac_username: Option<String>,
    /// HMAC secret to accept (default: a fixed sandbox secret)
    #[arg(long)]
    hmac_secret: Option<String>,
    /// Inject a fault (repeatable), KIND[:ARG]; see the list below (--help)
    #[arg(long = "fault", value_name = "KIND[:ARG]")]
    faults: Vec<FaultKind>,
    /// Serve HTTPS, with a certificate made at start (for localhost and
    /// 127.0.0.1) by a CA of its own, written to --tls-ca-file; the line
    /// printed then names it as INGO_CA_CERT, which the ingo CLI trusts
    #[arg(long)]
    tls: bool,
    /// Where --tls writes the CA's certificate (PEM) [default: a file in the
    /// temporary directory, named after the port]
    #[arg(long, value_name = "FILE", requires = "tls")]
    tls_ca_file: Option<std::path::PathBuf>,
    /// With --tls: the names the certificate is made for, comma-separated
    /// (e.g. localhost alone, to test a client against a wrong host)
    #[arg(long, value_name = "NAMES", requires = "tls", value_delimiter = ',')]
    tls_names: Vec<String>,
    /// Answer beyond the spec, as a newer API would: extra fields in every
    /// list item, enum values the spec does not list, and a 202 for the
    /// contacts list (to test a client's --drift-log)
    #[arg(long)]
    drift: bool,
    /// Apply the --fault rules at most N times each
    #[arg(long, value_name = "N")]
    fault_first: Option<u32>,
    /// Apply the --fault rules to every Kth matching request only
    #[arg(long, value_name = "K")]
    fault_every: Option<u32>,
    /// Apply the --fault rules only to paths ending with PATH, e.g. /payment-intent/program/all
    #[arg(long, value_name = "PATH")]
    fault_only: Option<String>,
    /// Response header carrying a unique id per request ('' = none), e.g. X-Request-Id
    #[arg(long, value_name = "NAME", default_value = DEFAULT_REQUEST_ID_HEADER)]
    request_id_header: String,
    /// Gateway rate limit: more than N authenticated requests in any sliding second get
    /// 429 with Retry-After: 1 and {"message":"API rate limit exceeded"} (default: off)
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    /// Serve this OpenAPI document (YAML or JSON) instead of the one the client was built from
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Pin the items of a list operation to a JSON array or NDJSON file (repeatable)
    #[arg(long = "data", value_name = "OPERATION_ID=FILE", value_parser = parse_data)]
    data: Vec<(String, PathBuf)>,
    /// Items served by each list operation with generated data (computed on the fly)
    #[arg(long, value_name = "N", default_value_t = 250)]
    items_per_operation: u64,
    /// How --rate-limit counts: window (Kong's sliding second) or strict (nginx's
    /// limit_req with no burst: requests less than 1/N s apart are refused)
    #[arg(long, value_name = "MODE", default_value = "window")]
    rate_limit_mode: RateLimitMode,
}

/// `OPERATION_ID=FILE`.
fn parse_data(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((id, file)) if !id.is_empty() && !file.is_empty() => {
            Ok((id.to_owned(), PathBuf::from(file)))
        }
        _ => Err(format!("expected OPERATION_ID=FILE, got {text:?}")),
    }
}

const AFTER_LONG_HELP: &str = "\
Operations:
  Every operation of the spec (by default the one the client was built from;
  --spec FILE for another, YAML or JSON) is served under /api/v4 by method and
  path, with no per-operation code. Each request is checked against the spec
  (types, int32/int64 limits, nulls, ranges, multipleOf, lengths, patterns,
  formats, enums, items, required and unknown fields, allOf/oneOf/anyOf/not);
  a refusal is 400 {\"status\":\"error\",\"message\":\"<field path>: <reason>\"}.
    lists   (page/per_page in, data.items + data.pagination out): deterministic
            items generated from the item schema, --items-per-operation of them,
            paged; a body field named like an item field filters by equality,
            search by text, start_date/end_date by the item's first date-time;
            other fields (user_id…) pick another data set
    writes  (a body with idempotent_key): a new object per key, the same answer
            for the same key; lists whose items have the object's schema show it
            first (at most 10000 kept)
    reads   (anything else): one object generated from the request
  --data OPERATION_ID=FILE pins a list's items to a JSON array or NDJSON file,
  checked against the item schema at start. list_contacts and
  list_payment_intents serve the built-in data below.

Ids:
  Contacts are served for ANY non-empty user_id and business_id you pick, e.g.
  user-demo / buss-demo: the same ids (and --seed) always give the same
  contacts, other ids give other contacts, --contacts-per-business of them.
  Reserved ids (a prefix; anything starting with it):
    business_id buss-not-found…  404 \"business_id: business … not found for user …\"
    user_id     user-not-found…  404 \"user_id: user … not found\"
    business_id buss-empty…      200 with no contacts (total 0)
  Payment intents belong to the program: no ids to pick.

Fault kinds for --fault (consulted for every authenticated request, before
routing, so an unknown operation can fail too):
  status:CODE[:RETRY_AFTER]  CODE with the API's error envelope {\"status\":\"error\",…}, e.g.
                             status:429:2 or status:503:Fri, 17 Jan 2020 19:59:29 GMT;
                             RETRY_AFTER is any text (garbage, -5, 18446744073709551615…)
                             without control characters
  kong:CODE[:RETRY_AFTER]    CODE with the gateway's shape {\"message\":…} and no status,
                             e.g. kong:429 -> {\"message\":\"API rate limit exceeded\"}
  empty:CODE                 CODE with an empty body (Content-Length: 0, no Content-Type)
  text:CODE                  CODE with a text/plain body like a proxy's (upstream connect error…)
  html:CODE                  CODE with a text/html error page, like a proxy's 502
  success-status:CODE        the usual answer, with status CODE instead of 200
  delay:MILLIS               wait, then serve normally
  slow-body:MILLIS           headers at once, then the body in ~10 chunks over MILLIS
  drop                       send headers and half the body, then reset the connection (TCP RST)
  truncate                   Content-Length promises more than is sent, then close
  malformed-json             200 with a body that is not JSON
  unknown-enum               one payment intent gets status under_review, direction sideways
  extra-fields               unknown fields in the envelope, data, pagination and items
  short-page                 fewer items than per_page although total says more
  repeat-page                ignore the requested page and serve page 1's items

Gateway realism:
  A failed signature or api-key check is 401 with WWW-Authenticate: hmac and
  {\"message\":…} (no status field), as Kong's hmac-auth answers. Every response
  carries a unique X-Kong-Request-Id (see --request-id-header). --rate-limit N
  answers 429 like Kong's rate-limiting plugin (--rate-limit-mode strict: like
  nginx's limit_req with no burst, requests at least 1/N s apart).

Two processes sharing one rate budget through Redis (the ingo CLI, or any
client given INGO_RATE_LIMIT_URL): together they stay within --rate-limit 5.
  redis-server --port 6379 --save '' &
  ingo-sandbox --rate-limit 5 --payment-intents 500 > sandbox.env &
  sleep 1; export $(cat sandbox.env) INGO_RATE_LIMIT_URL=redis://127.0.0.1:6379/0
  ingo payment-intents list --all --per-page 10 > a.json &
  ingo payment-intents list --all --per-page 10 > b.json; wait

Example (the sandbox keeps running; its line goes to a file):
  ingo-sandbox --fault status:429:1 --fault-first 2 --fault-only /payment-intent/program/all > sandbox.env &
  sleep 1; export $(cat sandbox.env)
  ingo-sandbox --spec my-spec.yaml --data list_users=users.ndjson > sandbox.env &";

/// Quotes `value` for a POSIX shell when it needs it.
fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let scope = FaultScope {
        operation: args.fault_only.clone(),
        first_n: args.fault_first,
        every_kth: args.fault_every,
    };
    let spec = match args
        .spec
        .as_deref()
        .map(std::fs::read_to_string)
        .transpose()
    {
        Ok(spec) => spec,
        Err(e) => {
            let file = args
                .spec
                .as_deref()
                .unwrap_or(std::path::Path::new(""))
                .display();
            eprintln!("ingo-sandbox: cannot read the spec {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = SandboxConfig {
        port: args.port,
        seed: args.seed,
        users: args.users,
        businesses_per_user: args.businesses_per_user,
        contacts_per_business: args.contacts_per_business,
        payment_intents: args.payment_intents,
        clock_offset_secs: args.clock_offset,
        faults: args
            .faults
            .into_iter()
            .map(|kind| FaultRule {
                kind,
                scope: scope.clone(),
            })
            .chain(args.drift.then(ingo_sandbox::drift).into_iter().flatten())
            .collect(),
        api_key: args.api_key,
        hmac_username: args.hmac_username,
        hmac_secret: args.hmac_secret,
        request_id_header: Some(args.request_id_header),
        rate_limit: args.rate_limit,
        spec,
        items_per_operation: args.items_per_operation,
        data: args
            .data
            .into_iter()
            .map(|(id, file)| (id, PinnedSource::File(file)))
            .collect(),
        tls: args.tls.then_some(args.tls_names),
        rate_limit_mode: args.rate_limit_mode,
    };
    let sandbox = match Sandbox::start_with(config) {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("ingo-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let credentials = sandbox.credentials();
    let mut line = format!(
        "INGO_BASE_URL={} INGO_API_KEY={} INGO_HMAC_USERNAME={} INGO_HMAC_SECRET={}",
        shell_quote(sandbox.base_url()),
        shell_quote(&credentials.api_key),
        shell_quote(&credentials.hmac_username),
        shell_quote(&credentials.hmac_secret),
    );
    if let Some(pem) = sandbox.ca_pem() {
        let port = sandbox.base_url().rsplit(':').next().unwrap_or_default();
        let port = port.split('/').next().unwrap_or_default();
        let file = args
            .tls_ca_file
            .unwrap_or_else(|| std::env::temp_dir().join(format!("ingo-sandbox-{port}-ca.pem")));
        if let Err(e) = std::fs::write(&file, pem) {
            eprintln!(
                "ingo-sandbox: cannot write the CA certificate to {}: {e}",
                file.display()
            );
            return ExitCode::FAILURE;
        }
        line.push_str(&format!(
            " INGO_CA_CERT={}",
            shell_quote(&file.display().to_string())
        ));
        eprintln!(
            "ingo-sandbox: HTTPS; trust its CA with --ca-cert {0} or INGO_CA_CERT={0}",
            file.display()
        );
    }
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    // Stdout stays the single line a shell evaluates; the hint goes to stderr.
    eprintln!("{}", ids_hint());
    match wait_for_signal() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ingo-sandbox: cannot wait for signals: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The one-line startup hint about ids, printed to stderr.
fn ids_hint() -> String {
    format!(
        "ingo-sandbox: contacts for any --user-id/--business-id (e.g. user-demo / buss-demo); reserved: {NOT_FOUND_BUSINESS_ID} -> 404, {NOT_FOUND_USER_ID} -> 404, {EMPTY_BUSINESS_ID} -> no contacts"
    )
}

/// Blocks until Ctrl-C or (on Unix) SIGTERM.
fn wait_for_signal() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r,
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("abc-1"), "abc-1");
        assert_eq!(shell_quote("a b'c"), "'a b'\\''c'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn the_help_names_the_reserved_ids() {
        for id in [NOT_FOUND_BUSINESS_ID, NOT_FOUND_USER_ID, EMPTY_BUSINESS_ID] {
            assert!(AFTER_LONG_HELP.contains(id), "{id}");
            assert!(ids_hint().contains(id), "{id}");
        }
        assert!(!ids_hint().contains('\n'));
    }

    #[test]
    fn args_parse() {
        let args = Args::try_parse_from([
            "ingo-sandbox",
            "--fault",
            "status:429:2",
            "--fault",
            "drop",
            "--fault-first",
            "3",
            "--clock-offset",
            "-400",
            "--fault",
            "status:429:Fri, 17 Jan 2020 19:59:29 GMT",
            "--fault",
            "status:429:-5",
            "--fault",
            "kong:503",
            "--fault",
            "slow-body:100",
            "--rate-limit",
            "5",
            "--rate-limit-mode",
            "strict",
            "--request-id-header",
            "",
        ]);
        assert!(args.is_ok_and(|a| a.faults.len() == 6
            && a.clock_offset == -400
            && a.rate_limit == Some(5)
            && a.rate_limit_mode == RateLimitMode::Strict
            && a.request_id_header.is_empty()));
        let defaults = Args::try_parse_from(["ingo-sandbox"]);
        assert!(
            defaults.is_ok_and(|a| a.request_id_header == "X-Kong-Request-Id"
                && a.rate_limit.is_none()
                && a.rate_limit_mode == RateLimitMode::Window)
        );
        let bad = Args::try_parse_from(["ingo-sandbox", "--fault", "status:429:a\r\nX-Evil: 1"]);
        assert!(bad.is_err());
    }
}
