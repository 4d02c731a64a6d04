//! The client and its state, and building it: environment, credentials,
//! timeouts and policies.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::limiter::{IntoLimiter, Limiter, LimiterSetup, LocalLimiter, RateLimit};
use crate::retry::RetryPolicy;
use crate::skew::ClockSkew;
use crate::{Credentials, Error};

/// A client of the API: one method per operation of the spec (see the crate
/// docs), each returning a builder. Cheap to clone; clones share the HTTP
/// connections, the rate limiter and the clock-skew estimate.
#[derive(Clone)]
pub struct Client(Arc<Shared>);

/// Where the api key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiKeyPlacement {
    /// The `api_key` HTTP header (Ingo's preference).
    #[default]
    Header,
    /// An `api_key` field of the JSON body, added before the body is hashed.
    BodyField,
}

/// The client's state: the HTTP client, credentials and policies.
pub(crate) struct Shared {
    /// With the `/api/v4` stem, no trailing slash.
    pub base_url: String,
    /// The HTTP client requests go through: HTTP/1.1 only, redirects off.
    pub http: reqwest::Client,
    /// The time one attempt may take (connect to end of body).
    pub attempt_timeout: Duration,
    /// The largest response body read.
    pub max_response_bytes: u64,
    pub credentials: Credentials,
    /// The api key as a (sensitive) header value, built once.
    pub api_key_header: HeaderValue,
    pub api_key_placement: ApiKeyPlacement,
    pub retry: RetryPolicy,
    pub limiter: Option<Arc<dyn Limiter>>,
    /// Responses answered with success, for the retry of a 429 (see the engine).
    pub answers: AtomicU64,
    pub skew: ClockSkew,
    /// The proxy requests go through, if any, without its credentials (for errors).
    pub proxy: Option<String>,
    /// The drift observer, when asked for (`drift_log`, `drift_observer`).
    pub drift: Option<crate::drift::Observer>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.0;
        f.debug_struct("Client")
            .field("base_url", &shared.base_url)
            .field("credentials", &shared.credentials)
            .field("api_key_placement", &shared.api_key_placement)
            .field("retry", &shared.retry)
            .field("limiter", &shared.limiter)
            .field("max_response_bytes", &shared.max_response_bytes)
            .field("clock_offset_ms", &shared.skew.offset_ms())
            .finish()
    }
}

/// The environment variable that overrides the base URL in [`ClientBuilder::from_env`].
pub const ENV_BASE_URL: &str = "INGO_BASE_URL";
/// `sandbox` (the default) or `production`, in [`ClientBuilder::from_env`].
pub const ENV_ENVIRONMENT: &str = "INGO_ENV";
/// Extra CA certificates (PEM files, `:`-separated), in [`ClientBuilder::from_env`].
pub const ENV_CA_CERT: &str = "INGO_CA_CERT";
/// `header` (the default) or `body`: where the api key travels, in [`ClientBuilder::from_env`].
pub const ENV_API_KEY_IN: &str = "INGO_API_KEY_IN";

/// The CA certificates of a PEM file, e.g. a sandbox's, or a TLS-inspecting proxy's.
pub fn certificates(file: &std::path::Path) -> Result<Vec<reqwest::Certificate>, Error> {
    let pem = std::fs::read(file).map_err(|e| {
        Error::Configuration(format!(
            "cannot read the CA certificate {}: {e}",
            file.display()
        ))
    })?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        Error::Configuration(format!("{} is not a PEM certificate: {e}", file.display()))
    })?;
    if certificates.is_empty() {
        return Err(Error::Configuration(format!(
            "{} holds no PEM certificate",
            file.display()
        )));
    }
    Ok(certificates)
}

/// The environment variable [`ClientBuilder::from_env`] reads a shared rate
/// limiter's URL from (`redis://host:port/db`; see [`ClientBuilder::rate_limit_url`]).
pub const ENV_RATE_LIMIT_URL: &str = "INGO_RATE_LIMIT_URL";

/// Where the API lives. The base URL includes the `/api/v4` stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://api.sdev.banking.ingopayments.tech/api/v4`
    Sandbox,
    /// `https://api.banking.ingopayments.tech/api/v4`
    Production,
    /// Any other base URL, e.g. a local sandbox `http://127.0.0.1:8080/api/v4`.
    Custom(String),
}

impl Environment {
    /// The environment's base URL, with the `/api/v4` stem.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Sandbox => "https://api.sdev.banking.ingopayments.tech/api/v4",
            Environment::Production => "https://api.banking.ingopayments.tech/api/v4",
            Environment::Custom(url) => url,
        }
    }
}

/// Builds a [`Client`]. Defaults are safe in production: Ingo's sandbox unless
/// told otherwise, 10 s to connect, 30 s per attempt, 4 attempts within 60 s,
/// at most 5 requests per second, responses up to 16 MiB, HTTPS only
/// (loopback excepted), no redirects.
///
/// Durations above a day are taken as a day; zero durations and limits are
/// refused by [`build`](Self::build) with [`Error::Configuration`].
///
/// ```
/// use ingo_banking::{Client, Credentials, Environment};
///
/// let client = Client::builder()
///     .environment(Environment::Production)
///     .credentials(Credentials::new("api-key", "hmac-user", "hmac-secret")?)
///     .build()?;
/// assert_eq!(client.base_url(), "https://api.banking.ingopayments.tech/api/v4");
/// # Ok::<(), ingo_banking::Error>(())
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: Option<String>,
    credentials: Option<Credentials>,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    limiter: Option<MakeLimiter>,
    api_key_placement: ApiKeyPlacement,
    allow_insecure_http: bool,
    max_response_bytes: u64,
    http: Option<reqwest::ClientBuilder>,
    proxies: Vec<reqwest::Proxy>,
    root_certificates: Vec<reqwest::Certificate>,
    drift: crate::drift::Settings,
}

/// The default cap on a response body: far above the largest legal page
/// (500 items of a few hundred bytes each).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// The longest any duration setting is taken to be.
const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: None,
            credentials: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            rate_limit: Some(RateLimit::default()),
            limiter: None,
            api_key_placement: ApiKeyPlacement::Header,
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            http: None,
            proxies: Vec::new(),
            root_certificates: Vec::new(),
            drift: Default::default(),
        }
    }
}

impl ClientBuilder {
    /// A builder from the environment: credentials from `INGO_API_KEY`,
    /// `INGO_HMAC_USERNAME`, `INGO_HMAC_SECRET`; the environment from
    /// `INGO_ENV` (`sandbox`, the default, or `production`), or any base URL
    /// from `INGO_BASE_URL` (which wins); extra CA certificates to trust from
    /// `INGO_CA_CERT` (PEM files, separated by `:`); where the api key
    /// travels from `INGO_API_KEY_IN` (`header`, the default, or `body`); a
    /// rate budget shared through Redis from `INGO_RATE_LIMIT_URL`; the drift
    /// log from `INGO_DRIFT_LOG` (see [`drift_log`](Self::drift_log)).
    /// Anything else is set on the builder it returns.
    pub fn from_env() -> Result<Self, Error> {
        let mut builder = Self::default().credentials(Credentials::from_env()?);
        match std::env::var(ENV_ENVIRONMENT).as_deref() {
            Ok("production") => builder = builder.environment(Environment::Production),
            Ok("sandbox") | Ok("") | Err(_) => {}
            Ok(other) => {
                return Err(Error::Configuration(format!(
                    "{ENV_ENVIRONMENT}={other:?}: expected `sandbox` or `production`"
                )));
            }
        }
        if let Ok(url) = std::env::var(ENV_BASE_URL) {
            builder = builder.base_url(url);
        }
        for file in std::env::var(ENV_CA_CERT).unwrap_or_default().split(':') {
            if !file.trim().is_empty() {
                for certificate in certificates(std::path::Path::new(file.trim()))? {
                    builder = builder.add_root_certificate(certificate);
                }
            }
        }
        match std::env::var(ENV_API_KEY_IN).as_deref() {
            Ok("body") => builder = builder.api_key_placement(ApiKeyPlacement::BodyField),
            Ok("header") | Ok("") | Err(_) => {}
            Ok(other) => {
                return Err(Error::Configuration(format!(
                    "{ENV_API_KEY_IN}={other:?}: expected `header` or `body`"
                )));
            }
        }
        if let Some(url) = std::env::var(ENV_RATE_LIMIT_URL)
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            // Refused here rather than at `build`: the variable is named while it is fresh.
            builder.limiter = Some(redis_limiter(&url).map_err(|e| match e {
                Error::Configuration(why) => {
                    Error::Configuration(format!("{ENV_RATE_LIMIT_URL}: {why}"))
                }
                other => other,
            })?);
        }
        if let Ok(path) = std::env::var(crate::ENV_DRIFT_LOG)
            && !path.is_empty()
        {
            builder = builder.drift_log(path);
        }
        Ok(builder)
    }

    /// Ingo's sandbox (the default) or production, or any other base URL.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.base_url = Some(environment.base_url().to_string());
        self
    }

    /// Any base URL, including the `/api/v4` stem.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The api key and HMAC credentials to sign with.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, from sending to the end of the response body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// When and how often to try again (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Client-side pacing (at most N starts per period, spread evenly, slowed
    /// down by the server's 429s); `None` turns it off.
    pub fn rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Pace through this limiter, at the [`rate_limit`](Self::rate_limit), instead
    /// of in-process: e.g. a `RedisLimiter` (feature `redis`), one budget for
    /// every process and host with the same credentials, or your own
    /// `Arc<dyn Limiter>`. With `.rate_limit(None)` the build fails.
    pub fn rate_limiter(mut self, limiter: impl IntoLimiter + Send + 'static) -> Self {
        self.limiter = Some(MakeLimiter::new(limiter));
        self
    }

    /// Share the rate budget through the Redis at `url` (`redis://host:port/db`),
    /// falling back to in-process pacing at half the rate while it is down: the
    /// same as `.rate_limiter(RedisLimiter::new(url)?)`. A URL that is not
    /// Redis's, or a build without the `redis` feature, fails [`build`](Self::build)
    /// with [`Error::Configuration`] naming Redis.
    pub fn rate_limit_url(mut self, url: impl Into<String>) -> Self {
        self.limiter = Some(redis_limiter(&url.into()).unwrap_or_else(MakeLimiter::failing));
        self
    }

    /// Send the api key as a body field instead of the `api_key` header.
    pub fn api_key_placement(mut self, placement: ApiKeyPlacement) -> Self {
        self.api_key_placement = placement;
        self
    }

    /// Allow `http://` to a host that is not loopback (never do this in production).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The largest response body the client reads (default 16 MiB); a larger
    /// one ends the call with [`Error::ResponseTooLarge`] without being buffered.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Send requests through this proxy (repeatable), e.g. a corporate one:
    /// `reqwest::Proxy::https("http://proxy.example:3128")?`.
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.proxies.push(proxy);
        self
    }

    /// Trust this root certificate too (repeatable), e.g. a TLS-inspecting
    /// proxy's: `reqwest::Certificate::from_pem(&pem)?`.
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Start from your own `reqwest::ClientBuilder` (for anything not offered
    /// here). The client's own rules are applied on top of it: HTTP/1.1 only
    /// (the request line is signed), no redirects, the timeouts and the user
    /// agent set on this builder.
    pub fn http_client_builder(mut self, builder: reqwest::ClientBuilder) -> Self {
        self.http = Some(builder);
        self
    }

    /// Observe drift and keep its log in the file `path` (NDJSON, one line
    /// per distinct drift: see [`DriftEntry`](crate::DriftEntry)): fields
    /// the spec does not declare, enum values it does not list, values that
    /// break a format or a pattern, required fields that never came, statuses
    /// it does not document. Never a field's value (enum values that look
    /// like names excepted) nor anything of a request. The file is rewritten
    /// whole, atomically, at most every 2 s when something changed and when
    /// the client's last clone is dropped; a file that cannot be written is
    /// a logged warning, never an error of a call.
    pub fn drift_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.drift.log = Some(path.into());
        self
    }

    /// Observe drift (see [`drift_log`](Self::drift_log)) and give `callback`
    /// each new or updated entry, with its counts so far. It is called in the
    /// call that saw the drift, so it should be quick.
    pub fn drift_observer(
        mut self,
        callback: impl Fn(&crate::DriftEntry) + Send + Sync + 'static,
    ) -> Self {
        self.drift.callback = Some(Arc::new(callback));
        self
    }

    /// Check the settings and build the client; nothing is sent.
    pub fn build(self) -> Result<Client, Error> {
        let credentials = self.credentials.ok_or_else(|| {
            Error::Configuration(
                "no credentials: call .credentials(..) or set INGO_API_KEY, INGO_HMAC_USERNAME and INGO_HMAC_SECRET"
                    .into(),
            )
        })?;
        let base_url = self
            .base_url
            .unwrap_or_else(|| Environment::Sandbox.base_url().to_string());
        check_base_url(&base_url, self.allow_insecure_http)?;
        let timeout = positive("timeout", self.timeout)?;
        let connect_timeout = positive("connect_timeout", self.connect_timeout)?;
        let retry = checked_policy(self.retry)?;
        let limiter: Option<Arc<dyn Limiter>> = match (self.rate_limit, self.limiter) {
            (None, None) => None,
            (Some(rate), None) => Some(Arc::new(LocalLimiter::new(rate)?)),
            (Some(rate), Some(MakeLimiter(make))) => {
                Some(make(&LimiterSetup::new(rate, &credentials))?)
            }
            (None, Some(_)) => {
                return Err(Error::Configuration(
                    "a rate limiter needs a rate limit, and .rate_limit(None) turned it off".into(),
                ));
            }
        };
        if self.max_response_bytes == 0 {
            return Err(Error::Configuration(
                "max_response_bytes must be greater than 0".into(),
            ));
        }
        install_tls_provider();
        let mut http = self
            .http
            .unwrap_or_default()
            // Only HTTP/1.1 is compiled in (no `http2` feature), so the request
            // line signed is the one sent; this states it as well.
            .http1_only()
            // A redirect would carry the signed headers elsewhere: never follow one.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .user_agent(concat!("ingo-banking-rust/", env!("CARGO_PKG_VERSION")));
        // The proxy environment variables (HTTPS_PROXY, ALL_PROXY, HTTP_PROXY,
        // NO_PROXY) apply, as reqwest reads them, except to loopback: a local
        // sandbox is never reached through a corporate proxy unless a proxy
        // is set on this builder.
        let loopback = is_loopback(&base_url);
        let proxy = match (self.proxies.is_empty(), loopback) {
            (false, _) => Some("set on the client builder".to_string()),
            (true, true) => {
                http = http.no_proxy();
                None
            }
            (true, false) => env_proxy(&base_url),
        };
        for proxy in self.proxies {
            http = http.proxy(proxy);
        }
        for certificate in self.root_certificates {
            http = http.add_root_certificate(certificate);
        }
        let http = http
            .build()
            .map_err(|e| Error::Configuration(format!("cannot build the HTTP client: {e}")))?;
        // `Credentials::new` admits only printable ASCII, which a header can carry.
        let mut api_key_header = HeaderValue::from_str(credentials.api_key())
            .map_err(|_| Error::Configuration("the api key cannot be sent as a header".into()))?;
        api_key_header.set_sensitive(true);
        let drift = crate::drift::Observer::new(self.drift)?;
        Ok(Client(Arc::new(Shared {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key_header,
            http,
            attempt_timeout: timeout,
            max_response_bytes: self.max_response_bytes,
            credentials,
            api_key_placement: self.api_key_placement,
            retry,
            limiter,
            answers: AtomicU64::new(0),
            skew: ClockSkew::default(),
            proxy,
            drift,
        })))
    }
}

/// With the `rustls-ring` feature (the default), make ring rustls'
/// process-wide crypto provider, unless the program installed one first.
/// The client does this when it is built; a program that also builds
/// `reqwest` clients of its own, and gives its `reqwest` no TLS feature of
/// its own, calls it before those (reqwest then shares this crate's rustls,
/// and without a provider it refuses to build a client). A no-op with the
/// other TLS features.
pub fn install_tls_provider() {
    #[cfg(feature = "rustls-ring")]
    {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A duration setting: more than zero; above a day, a day.
fn positive(name: &str, value: Duration) -> Result<Duration, Error> {
    if value.is_zero() {
        return Err(Error::Configuration(format!(
            "{name} must be greater than zero"
        )));
    }
    Ok(value.min(MAX_DURATION))
}

fn checked_policy(policy: RetryPolicy) -> Result<RetryPolicy, Error> {
    if policy.max_attempts == 0 {
        return Err(Error::Configuration(
            "retry policy: max_attempts counts the first attempt and must be at least 1".into(),
        ));
    }
    Ok(RetryPolicy {
        deadline: positive("retry policy deadline", policy.deadline)?,
        base_delay: policy.base_delay.min(MAX_DURATION),
        max_delay: policy.max_delay.min(MAX_DURATION),
        ..policy
    })
}

/// What makes a client's limiter, once the credentials and the rate are known.
struct MakeLimiter(Box<MakeFn>);

type MakeFn = dyn FnOnce(&LimiterSetup) -> Result<Arc<dyn Limiter>, Error> + Send;

impl MakeLimiter {
    fn new(limiter: impl IntoLimiter + Send + 'static) -> Self {
        MakeLimiter(Box::new(move |setup| limiter.into_limiter(setup)))
    }

    /// A setting already known to be wrong, refused by `build`.
    fn failing(error: Error) -> Self {
        MakeLimiter(Box::new(move |_| Err(error)))
    }
}

/// The shared limiter for a Redis URL: the one place that knows whether this
/// build has Redis.
fn redis_limiter(url: &str) -> Result<MakeLimiter, Error> {
    #[cfg(feature = "redis")]
    return crate::limiter::RedisLimiter::new(url).map(MakeLimiter::new);
    #[cfg(not(feature = "redis"))]
    {
        let _ = url;
        Err(Error::Configuration(
            "a rate budget shared through Redis needs ingo-banking's `redis` feature, which this build lacks"
                .into(),
        ))
    }
}

impl fmt::Debug for MakeLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MakeLimiter")
    }
}

/// Whether `url`'s host is loopback (`localhost`, `127.0.0.0/8`, `::1`).
fn is_loopback(url: &str) -> bool {
    match url::Url::parse(url).ok().as_ref().and_then(url::Url::host) {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The proxy the environment names for `url` (for an error to name; its
/// credentials are left out). Whether one applies at all (NO_PROXY, with its
/// domains, IPs and CIDR ranges) is decided by the matcher reqwest itself
/// applies to these variables (hyper-util's; this build enables no system
/// proxy lookup), so the error never names a proxy reqwest bypassed.
fn env_proxy(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    hyper_util::client::proxy::matcher::Matcher::from_system().intercept(&uri)?;
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let proxy = match uri.scheme_str() {
        Some("https") => var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
        _ => var(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]),
    }?;
    Some(crate::error::redact_userinfo(&proxy))
}

/// A URL, HTTPS or plain HTTP to loopback (or when explicitly allowed).
fn check_base_url(base_url: &str, allow_insecure_http: bool) -> Result<(), Error> {
    let url = url::Url::parse(base_url)
        .map_err(|e| Error::Configuration(format!("base URL {base_url:?} is not a URL: {e}")))?;
    let loopback = is_loopback(base_url);
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback || allow_insecure_http => Ok(()),
        "http" => Err(Error::Configuration(format!(
            "base URL {base_url:?} is plain http to a host that is not loopback; use https \
             (or .allow_insecure_http(true) for a test network)"
        ))),
        other => Err(Error::Configuration(format!(
            "base URL scheme `{other}` is not http(s)"
        ))),
    }
}

impl Client {
    /// Start building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to (with the `/api/v4` stem).
    pub fn base_url(&self) -> &str {
        &self.0.base_url
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.0
    }

    /// A client configured from `INGO_*` environment variables (sandbox by default).
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }
}
