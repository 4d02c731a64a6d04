//! Tracing spans a service can export: one per call (`ingo.call`) and one
//! per attempt (`ingo.attempt`, its child), with OpenTelemetry's HTTP
//! semantic-convention field names, so `tracing-opentelemetry` turns them
//! into an internal span and a client span per request sent.
//!
//! Field values are only computed when a subscriber wants the span. Numbers
//! are recorded as `i64`: `tracing-opentelemetry` exports a `u64` as text.

use std::fmt;

use tracing::Span;
use tracing::field::Empty;

use crate::{Error, OperationDescriptor};

/// The span of one call of `op`, sent to `url`.
pub(crate) fn call(op: &OperationDescriptor, method: &reqwest::Method, url: &url::Url) -> Span {
    tracing::info_span!(
        "ingo.call",
        otel.name = op.id,
        otel.kind = "internal",
        otel.status_code = Empty,
        otel.status_description = Empty,
        ingo.operation = op.id,
        http.request.method = method.as_str(),
        url.full = %FullUrl(url),
        url.template = op.path,
        server.address = url.host_str(),
        server.port = url.port_or_known_default().map(i64::from),
        ingo.idempotency_key = Empty,
        ingo.request_id = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
    )
}

/// The span of attempt number `attempt` (1 for the first) of `request`.
pub(crate) fn attempt(request: &reqwest::Request, attempt: u32) -> Span {
    let url = request.url();
    let span = tracing::info_span!(
        "ingo.attempt",
        otel.name = request.method().as_str(),
        otel.kind = "client",
        otel.status_code = Empty,
        otel.status_description = Empty,
        http.request.method = request.method().as_str(),
        url.full = %FullUrl(url),
        server.address = url.host_str(),
        server.port = url.port_or_known_default().map(i64::from),
        http.request.resend_count = Empty,
        http.response.status_code = Empty,
        ingo.request_id = Empty,
        error.type = Empty,
    );
    // OpenTelemetry: set on the second and later attempts only.
    if attempt > 1 {
        span.record("http.request.resend_count", i64::from(attempt - 1));
    }
    span
}

/// What a call or an attempt came to: its status, request id and, on
/// failure, the error's type (the status, or the failure's class).
pub(crate) fn record(
    span: &Span,
    status: Option<u16>,
    request_id: Option<&str>,
    error: Option<&Error>,
) {
    if span.is_disabled() {
        return;
    }
    if let Some(status) = status {
        span.record("http.response.status_code", i64::from(status));
    }
    if let Some(id) = request_id {
        span.record("ingo.request_id", id);
    }
    if let Some(error) = error {
        span.record("otel.status_code", "error");
        span.record("otel.status_description", tracing::field::display(error));
        match status {
            Some(status) => span.record("error.type", status),
            None => span.record("error.type", tracing::field::debug(error.class())),
        };
    }
}

/// A URL as `url.full` wants it: credentials in it redacted, and every
/// query value (a signature, a token) too; the fragment dropped.
struct FullUrl<'a>(&'a url::Url);

impl fmt::Display for FullUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        write!(f, "{}://", url.scheme())?;
        if !url.username().is_empty() || url.password().is_some() {
            f.write_str("REDACTED:REDACTED@")?;
        }
        if let Some(host) = url.host_str() {
            f.write_str(host)?;
        }
        if let Some(port) = url.port() {
            write!(f, ":{port}")?;
        }
        f.write_str(url.path())?;
        let mut separator = '?';
        for (name, _) in url.query_pairs() {
            write!(f, "{separator}{name}=REDACTED")?;
            separator = '&';
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::FullUrl;

    #[test]
    fn url_full_shows_no_credential_and_no_query_value() {
        let shown = |url: &str| FullUrl(&url::Url::parse(url).unwrap()).to_string();
        assert_eq!(
            shown("https://api.ingo.example/api/v4/x"),
            "https://api.ingo.example/api/v4/x"
        );
        assert_eq!(
            shown("http://user:pw@127.0.0.1:8080/api/v4/x?sig=s3cret&a=1#frag"),
            "http://REDACTED:REDACTED@127.0.0.1:8080/api/v4/x?sig=REDACTED&a=REDACTED"
        );
        assert_eq!(shown("http://[::1]:9/p"), "http://[::1]:9/p");
    }
}
