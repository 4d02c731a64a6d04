//! The client over HTTPS against the sandbox's TLS (`SandboxConfig::tls`),
//! at the defaults (pacing, retries): a trusted CA works; an untrusted
//! certificate, and one for another host, fail at once with a typed error
//! that says so, never retried (one connection, no request logged).

mod common;

use ingo_banking::{Client, Error, FailureClass};
use ingo_sandbox::{Sandbox, SandboxConfig};

fn tls_sandbox(names: Vec<String>) -> Sandbox {
    common::sandbox_with(SandboxConfig {
        tls: Some(names),
        ..SandboxConfig::default()
    })
}

fn client(sandbox: &Sandbox, trust: bool) -> Client {
    let mut builder = Client::builder()
        .base_url(sandbox.base_url())
        .credentials(common::credentials(sandbox));
    if trust {
        let pem = sandbox.ca_pem().expect("a TLS sandbox has a CA");
        let ca = ingo_banking::reqwest::Certificate::from_pem(pem.as_bytes()).expect("PEM");
        builder = builder.add_root_certificate(ca);
    }
    builder.build().expect("client")
}

async fn one_page(client: &Client) -> Result<(), Error> {
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        client.list_payment_intents().per_page(5).call(),
    )
    .await
    .expect("no hang")
    .map(|_| ())
}

#[tokio::test]
async fn a_trusted_ca_serves_pages_over_https() {
    let sandbox = tls_sandbox(Vec::new());
    assert!(sandbox.base_url().starts_with("https://127.0.0.1:"));
    let client = client(&sandbox, true);
    let walked: Vec<_> = ingo_banking::futures::TryStreamExt::try_collect(
        client
            .list_contacts()
            .user_id("user-tls")
            .business_id("buss-tls")
            .items(),
    )
    .await
    .expect("a walk over HTTPS");
    assert_eq!(walked.len(), 37);
    let log = sandbox.requests();
    assert!(
        log.iter().all(|r| r.signature_verified && r.status == 200),
        "{log:?}"
    );
}

#[tokio::test]
async fn an_untrusted_certificate_is_final_and_says_so() {
    let sandbox = tls_sandbox(Vec::new());
    let error = one_page(&client(&sandbox, false)).await.unwrap_err();
    assert_eq!(error.class(), FailureClass::Certificate, "{error:?}");
    assert!(!error.is_transient());
    let text = error.to_string();
    assert!(
        text.contains("certificate") && text.contains("--ca-cert"),
        "names the cause and the cure: {text}"
    );
    assert_eq!(sandbox.connections(), 1, "not retried");
    assert!(sandbox.requests().is_empty());
}

#[tokio::test]
async fn a_certificate_for_another_host_is_final_and_says_so() {
    // The certificate names localhost only; the client dials 127.0.0.1.
    let sandbox = tls_sandbox(vec!["localhost".into()]);
    let error = one_page(&client(&sandbox, true)).await.unwrap_err();
    assert_eq!(error.class(), FailureClass::Certificate, "{error:?}");
    let text = error.to_string();
    assert!(text.contains("certificate"), "{text}");
    assert!(
        text.to_lowercase().contains("name") || text.contains("NotValidForName"),
        "the root cause (the name) is in the line: {text}"
    );
    assert_eq!(sandbox.connections(), 1, "not retried");
}
