//! Both operations end to end over loopback HTTP against the sandbox, which
//! recomputes every signature from the bytes it received.

mod common;

use std::collections::HashSet;

use futures::TryStreamExt;
use ingo_banking::types::{
    ListPaymentIntentsRequestPaymentDirection as Direction, PaymentIntentStatus,
};
use ingo_banking::{ApiKeyPlacement, Error, ListOperation, Operation};

#[tokio::test]
async fn list_contacts_returns_a_typed_page_and_every_request_verified() {
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let (user, business) = common::first_business(&sandbox);
    let response = client
        .list_contacts()
        .user_id(user.as_str())
        .business_id(business.as_str())
        .per_page(7)
        .page(2)
        .call()
        .await
        .unwrap();
    let data = response.data.unwrap();
    assert_eq!(data.items.len(), 7);
    assert_eq!((data.pagination.page, data.pagination.per_page), (2, 7));
    assert!(data.pagination.total > 7);
    assert!(data.items.iter().all(|c| c.id.starts_with("bcus-")));
    let log = sandbox.requests();
    assert_eq!(log.len(), 1);
    assert!(
        log[0].signature_verified && log[0].status == 200,
        "{:?}",
        log[0]
    );
}

#[tokio::test]
async fn list_payment_intents_filters_and_decodes_amounts_and_dates() {
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let response = client
        .list_payment_intents()
        .status_str("pending")
        .payment_direction(Direction::Debit)
        .per_page(50)
        .call()
        .await
        .unwrap();
    let data = response.data.unwrap();
    assert!(!data.items.is_empty());
    for pi in &data.items {
        assert_eq!(pi.status, PaymentIntentStatus::Pending);
        assert_eq!(pi.direction.as_ref().map(|d| d.as_str()), Some("debit"));
        assert!(pi.amount.scale() == 2 && pi.amount > rust_decimal::Decimal::ZERO);
        assert!(pi.posting_date.is_some());
    }
}

#[tokio::test]
async fn non_ascii_body_is_signed_over_its_utf8_bytes() {
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let response = client
        .list_payment_intents()
        .search("Zoë Müller — 東京")
        .call()
        .await
        .unwrap();
    assert_eq!(
        response.data.unwrap().pagination.search.as_deref(),
        Some("Zoë Müller — 東京")
    );
    let log = sandbox.requests();
    assert!(
        log[0].signature_verified && log[0].status == 200,
        "{:?}",
        log[0]
    );
}

#[tokio::test]
async fn api_key_as_body_field_is_accepted() {
    let sandbox = common::sandbox();
    let client = common::client_with(&sandbox, ApiKeyPlacement::BodyField, common::fast_retries());
    let response = client
        .list_payment_intents()
        .per_page(3)
        .call()
        .await
        .unwrap();
    assert_eq!(response.data.unwrap().items.len(), 3);
}

#[tokio::test]
async fn walking_every_page_yields_total_distinct_ids_with_and_without_prefetch() {
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let total = sandbox.payment_intent_count() as usize;
    for prefetch in [false, true] {
        let items: Vec<_> = client
            .list_payment_intents()
            .per_page(97)
            .items()
            .prefetch(prefetch)
            .try_collect()
            .await
            .unwrap();
        let ids: HashSet<_> = items.iter().map(|pi| pi.id.clone()).collect();
        assert_eq!(
            (items.len(), ids.len()),
            (total, total),
            "prefetch {prefetch}"
        );
    }
    let pages: Vec<_> = client
        .list_payment_intents()
        .per_page(500)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), total.div_ceil(500));
}

#[tokio::test]
async fn out_of_range_input_is_refused_before_any_request() {
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let (user, business) = common::first_business(&sandbox);
    let cases: Vec<(&str, Result<_, Error>)> = vec![
        (
            "per_page",
            client
                .list_payment_intents()
                .per_page(0)
                .call()
                .await
                .map(|_| ()),
        ),
        (
            "per_page",
            client
                .list_payment_intents()
                .per_page(501)
                .call()
                .await
                .map(|_| ()),
        ),
        (
            "page",
            client
                .list_payment_intents()
                .page(0)
                .call()
                .await
                .map(|_| ()),
        ),
        (
            "user_id",
            client
                .list_contacts()
                .user_id("")
                .business_id(business.as_str())
                .call()
                .await
                .map(|_| ()),
        ),
        (
            "business_id",
            client
                .list_contacts()
                .user_id(user.as_str())
                .call()
                .await
                .map(|_| ()),
        ),
    ];
    for (field, result) in cases {
        match result {
            Err(Error::InvalidRequest { field: f, reason }) => {
                assert_eq!(f, field, "{reason}");
                let shown = Error::InvalidRequest {
                    field: f,
                    reason: reason.clone(),
                }
                .to_string();
                assert!(shown.contains(field), "{shown}");
                if field.starts_with("per") {
                    assert!(reason.contains("between 1 and 500"), "{reason}");
                }
            }
            other => panic!("{field}: expected InvalidRequest, got {other:?}"),
        }
    }
    assert!(
        sandbox.requests().is_empty(),
        "nothing may reach the server"
    );
}

#[tokio::test]
async fn a_list_operation_is_generic_over_the_spec() {
    // The walk is written once against the trait; both operations use it.
    async fn count<'a, Op: ListOperation<'a>>(op: Op) -> usize {
        op.items()
            .try_fold(0, |n, _| async move { Ok(n + 1) })
            .await
            .unwrap()
    }
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let (user, business) = common::first_business(&sandbox);
    let contacts = count(
        client
            .list_contacts()
            .user_id(user.as_str())
            .business_id(business.as_str())
            .per_page(10),
    )
    .await;
    assert!(contacts > 10);
    assert_eq!(
        <ingo_banking::builder::ListContacts as Operation>::ID,
        "list_contacts"
    );
    assert_eq!(ingo_banking::OPERATIONS.len(), 2);
}
