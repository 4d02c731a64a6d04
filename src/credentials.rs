//! Credentials, wrapped so that no `Debug`, `Display`, log line or error can
//! show the secret or the api key.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::Error;

/// The environment variables [`Credentials::from_env`] reads.
pub const ENV_API_KEY: &str = "INGO_API_KEY";
/// See [`ENV_API_KEY`].
pub const ENV_HMAC_USERNAME: &str = "INGO_HMAC_USERNAME";
/// See [`ENV_API_KEY`].
pub const ENV_HMAC_SECRET: &str = "INGO_HMAC_SECRET";

/// An Ingo program's api key and HMAC credentials.
///
/// ```
/// let c = ingo_banking::Credentials::new("key-123", "my-integration", "s3cr3t").unwrap();
/// let shown = format!("{c:?}");
/// assert!(!shown.contains("key-123") && !shown.contains("s3cr3t"));
/// assert_eq!(c.hmac_username(), "my-integration");
/// ```
#[derive(Clone)]
pub struct Credentials {
    api_key: SecretString,
    hmac_username: String,
    hmac_secret: SecretString,
}

impl Credentials {
    /// Credentials given explicitly; none of the three may be empty.
    pub fn new(
        api_key: impl Into<String>,
        hmac_username: impl Into<String>,
        hmac_secret: impl Into<String>,
    ) -> Result<Self, Error> {
        let (api_key, hmac_username, hmac_secret) =
            (api_key.into(), hmac_username.into(), hmac_secret.into());
        for (value, what) in [
            (&api_key, "api key"),
            (&hmac_username, "HMAC username"),
            (&hmac_secret, "HMAC secret"),
        ] {
            if value.trim().is_empty() {
                return Err(Error::Configuration(format!("the {what} is empty")));
            }
        }
        let printable = |c: char| (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ';
        if !hmac_username.chars().all(printable) {
            return Err(Error::Configuration(
                "the HMAC username must be printable ASCII without quotes or backslashes".into(),
            ));
        }
        if !api_key.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            return Err(Error::Configuration(
                "the api key must be printable ASCII".into(),
            ));
        }
        Ok(Self {
            api_key: api_key.into(),
            hmac_username,
            hmac_secret: hmac_secret.into(),
        })
    }

    /// Credentials from `INGO_API_KEY`, `INGO_HMAC_USERNAME` and `INGO_HMAC_SECRET`.
    pub fn from_env() -> Result<Self, Error> {
        let read = |name: &str| {
            std::env::var(name).map_err(|_| {
                Error::Configuration(format!(
                    "environment variable {name} is not set (or not UTF-8)"
                ))
            })
        };
        Self::new(
            read(ENV_API_KEY)?,
            read(ENV_HMAC_USERNAME)?,
            read(ENV_HMAC_SECRET)?,
        )
    }

    /// The HMAC username (not a secret: it travels in every `Authorization` header).
    pub fn hmac_username(&self) -> &str {
        &self.hmac_username
    }

    pub(crate) fn api_key(&self) -> &str {
        self.api_key.expose_secret()
    }

    pub(crate) fn hmac_secret(&self) -> &[u8] {
        self.hmac_secret.expose_secret().as_bytes()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &"[REDACTED]")
            .field("hmac_username", &self.hmac_username)
            .field("hmac_secret", &"[REDACTED]")
            .finish()
    }
}
