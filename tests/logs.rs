//! What the client logs, read from a subscriber of its own. Alone in its test
//! binary: with tests in parallel threads, a callsite another thread hit
//! first without a subscriber could be cached as uninteresting, and the
//! event would go unseen (a flake seen under load).

mod common;

use ingo_banking::Error;

async fn one_page(
    client: &ingo_banking::Client,
) -> Result<ingo_banking::types::ListPaymentIntentsResponse, Error> {
    client.list_payment_intents().per_page(20).call().await
}

#[tokio::test]
async fn wrong_secret_is_unauthorized_and_no_secret_is_ever_shown() {
    let sandbox = common::sandbox();
    let creds = sandbox.credentials().clone();
    let wrong_secret = "definitely-wrong-secret-4242";
    let client = ingo_banking::Client::builder()
        .base_url(sandbox.base_url())
        .credentials(
            ingo_banking::Credentials::new(&creds.api_key, &creds.hmac_username, wrong_secret)
                .unwrap(),
        )
        .retry_policy(common::fast_retries())
        .build()
        .unwrap();

    // Capture every tracing event the client emits.
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || common::LogWriter(writer.clone()))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // A callsite first hit by a parallel test with no subscriber may have
    // cached "never"; ask every callsite again.
    tracing::callsite::rebuild_interest_cache();

    let error = one_page(&client).await.expect_err("wrong secret");
    assert!(
        matches!(&error, Error::Unauthorized { status: 401, message, .. } if message.contains("signature")),
        "{error:?}"
    );

    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("ingo request attempt"),
        "the attempt is logged: {logs}"
    );
    let shown = [
        format!("{error}"),
        format!("{error:?}"),
        format!("{client:?}"),
        logs,
    ];
    for text in &shown {
        for secret in [wrong_secret, creds.api_key.as_str()] {
            assert!(!text.contains(secret), "a secret leaked into: {text}");
        }
    }
}
