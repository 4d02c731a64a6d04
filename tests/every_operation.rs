//! Every operation the crate was generated with is keyed and signed by the
//! one hook, with no per-operation code. Run under `INGO_SPEC` pointing at
//! an extended spec (scripts/test.sh does), it also proves a new operation
//! and a new optional field appear from the spec alone.

mod common;

use ingo_banking::{Error, OPERATIONS};

#[tokio::test]
async fn every_operation_of_the_spec_is_keyed_and_signed() {
    let sandbox = common::sandbox();
    let client = common::client(&sandbox);
    let (user, business) = common::first_business(&sandbox);
    for op in OPERATIONS {
        let mut body = serde_json::Map::new();
        for field in op.required {
            let value = match *field {
                "user_id" => user.clone(),
                "business_id" => business.clone(),
                _ => "regeneration-check".to_string(),
            };
            body.insert(field.to_string(), value.into());
        }
        let result = client.call_json(op.id, body.into()).await;
        let log = sandbox.requests();
        let record = log
            .iter()
            .rev()
            .find(|r| r.path.ends_with(op.path))
            .unwrap_or_else(|| panic!("{}: no request reached the sandbox", op.id));
        assert!(record.signature_verified, "{}: {record:?}", op.id);
        assert_eq!(
            record.auth_failure, None,
            "{}: the api key was accepted",
            op.id
        );
        match result {
            Ok(json) => assert_eq!(json["status"], "success", "{}", op.id),
            // The sandbox serves the two seed operations; any other answers 404 after authenticating.
            Err(Error::Api { status: 404, .. }) => assert_eq!(record.status, 404),
            Err(e) => panic!("{}: {e}", op.id),
        }
    }
}

#[test]
fn the_generated_operations_match_the_spec_in_use() {
    let ids: Vec<_> = OPERATIONS.iter().map(|o| o.id).collect();
    assert!(
        ids.contains(&"list_contacts") && ids.contains(&"list_payment_intents"),
        "{ids:?}"
    );
    if std::env::var_os("INGO_SPEC").is_some_and(|s| !s.is_empty()) {
        assert!(
            ids.contains(&"list_user_payment_intents"),
            "the third operation is generated: {ids:?}"
        );
        let intents = OPERATIONS
            .iter()
            .find(|o| o.id == "list_payment_intents")
            .unwrap();
        assert!(
            intents.fields.contains(&"currency"),
            "the new optional field is generated"
        );
        let third = OPERATIONS
            .iter()
            .find(|o| o.id == "list_user_payment_intents")
            .unwrap();
        assert!(third.paginated && third.required == ["user_id"]);
    } else {
        assert_eq!(ids.len(), 2);
    }
}
