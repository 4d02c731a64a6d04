//! Why the gateway refuses a request: one variant, and one message, per check.

/// Why the gateway rejected a request (always answered with HTTP 401).
///
/// Each check has its own variant and its own message, which is what the
/// response envelope's `message` carries.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// One of [`REQUIRED_HEADERS`](crate::REQUIRED_HEADERS) is absent.
    #[error("missing required header: {0}")]
    MissingHeader(&'static str),
    /// `content-sha512` is not the Base64 of the raw SHA-512 of the body received.
    #[error("content-sha512 does not match the SHA-512 of the body received")]
    BodyDigestMismatch,
    /// `content-length` is not the number of body bytes received.
    #[error(
        "content-length does not match the body received (header {declared:?}, received {received} bytes)"
    )]
    ContentLengthMismatch {
        /// The header value as sent.
        declared: String,
        /// The number of body bytes received.
        received: usize,
    },
    /// `x-date` is not an IMF-fixdate such as `Fri, 17 Jan 2020 19:59:29 GMT`.
    #[error("x-date is not an IMF-fixdate (e.g. \"Fri, 17 Jan 2020 19:59:29 GMT\")")]
    DateUnparseable,
    /// `x-date` is more than [`MAX_CLOCK_SKEW_SECS`](crate::MAX_CLOCK_SKEW_SECS) away from the sandbox clock.
    #[error("x-date is outside the allowed clock skew of 300 s")]
    ClockSkew,
    /// The `Authorization` header does not have the documented shape.
    #[error("authorization header is malformed: {0}")]
    MalformedAuthorization(String),
    /// The `Authorization` header names an algorithm other than `hmac-sha512`.
    #[error("authorization algorithm must be \"hmac-sha512\" (got {0:?})")]
    UnsupportedAlgorithm(String),
    /// The `Authorization` header signs a header list other than the documented one.
    #[error(
        "authorization headers must be \"request-line x-date content-type content-sha512 content-length\" (got {0:?})"
    )]
    UnexpectedSignedHeaders(String),
    /// The HMAC username is not known to the sandbox.
    #[error("hmac username is unknown")]
    UnknownUsername,
    /// The signature does not match the request.
    #[error("hmac signature does not match the request")]
    SignatureMismatch,
    /// No `api_key` header and no `api_key` body field.
    #[error("api key missing")]
    ApiKeyMissing,
    /// The API key is not the sandbox's.
    #[error("api key invalid")]
    ApiKeyInvalid,
}
