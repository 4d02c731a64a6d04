//! Shared set-up for the client's integration tests: a sandbox and a client for it.
#![allow(dead_code)]

use std::time::Duration;

use ingo_banking::{ApiKeyPlacement, Client, ClientBuilder, Credentials, RateLimit, RetryPolicy};
use ingo_sandbox::{Sandbox, SandboxConfig};

pub fn sandbox() -> Sandbox {
    Sandbox::start().expect("sandbox starts")
}

pub fn sandbox_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start_with(config).expect("sandbox starts")
}

pub fn credentials(sandbox: &Sandbox) -> Credentials {
    let c = sandbox.credentials();
    Credentials::new(&c.api_key, &c.hmac_username, &c.hmac_secret).expect("valid credentials")
}

/// Fast retries and no pacing, so fault tests take milliseconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
        .deadline(Duration::from_secs(20))
}

/// A builder for `sandbox`: its credentials, fast retries, no pacing.
pub fn builder(sandbox: &Sandbox) -> ClientBuilder {
    Client::builder()
        .base_url(sandbox.base_url())
        .credentials(credentials(sandbox))
        .retry_policy(fast_retries())
        .rate_limit(None::<RateLimit>)
}

/// A builder for a hand-rolled server at `url`, with throwaway credentials.
pub fn builder_for(url: String) -> ClientBuilder {
    Client::builder()
        .base_url(url)
        .credentials(Credentials::new("k", "u", "s").expect("valid credentials"))
        .retry_policy(fast_retries())
}

pub fn client(sandbox: &Sandbox) -> Client {
    client_with(sandbox, ApiKeyPlacement::Header, fast_retries())
}

pub fn client_with(sandbox: &Sandbox, placement: ApiKeyPlacement, retry: RetryPolicy) -> Client {
    builder(sandbox)
        .api_key_placement(placement)
        .retry_policy(retry)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client builds")
}

pub fn first_business(sandbox: &Sandbox) -> (String, String) {
    sandbox
        .businesses()
        .into_iter()
        .next()
        .expect("sandbox has a business")
}
