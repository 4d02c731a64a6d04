//! The sandbox serves any spec with no per-operation code: the project's
//! extended and all-features fixtures (written by tests/fixtures/*.py) and a
//! spec of a user's own, over signed HTTP on loopback.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;

use common::*;
use ingo_sandbox::{Sandbox, SandboxConfig, SetupError};
use serde_json::{Value, json};

/// The text of a spec written by `tests/fixtures/SCRIPT` (None without python3, except under CI).
fn fixture(script: &str) -> Option<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{script}.yaml"));
    let ran = Command::new("python3")
        .arg(root.join("tests/fixtures").join(script))
        .arg(root.join("spec/ingo-banking.yaml"))
        .arg(&out)
        .status();
    if !ran.is_ok_and(|s| s.success()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 is required under CI"
        );
        eprintln!("skipping: python3 could not write the {script} spec");
        return None;
    }
    std::fs::read_to_string(out).ok()
}

fn all_features(items: u64) -> Option<Sandbox> {
    let spec = fixture("all_features.py")?;
    Some(
        Sandbox::builder()
            .spec(spec)
            .items_per_operation(items)
            .start()
            .expect("start"),
    )
}

/// A spec a user might add: a camelCase list with filters and a date-time,
/// a kebab-case list with multipleOf, a read by path, a write.
const USERS_SPEC: &str = r##"
openapi: 3.0.3
info: {title: users, version: "1"}
paths:
  /user/get-all:
    post:
      operationId: listUsers
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                api_key: {type: string, minLength: 1}
                email: {type: string, format: email}
                status: {type: string, enum: [active, blocked]}
                search: {type: string}
                start_date: {type: string, format: date-time}
                end_date: {type: string, format: date-time}
                page: {type: integer, format: int64, minimum: 1, default: 1}
                per_page: {type: integer, format: int64, minimum: 1, maximum: 100, default: 20}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/UserPage"}
  /user/tiles:
    post:
      operationId: list-user-tiles
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                page: {type: integer, minimum: 1}
                per_page: {type: integer, minimum: 10, maximum: 50, multipleOf: 10}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/UserPage"}
  /user/{user_id}:
    get:
      operationId: user.get
      parameters:
        - {name: user_id, in: path, required: true, schema: {type: string, pattern: '^usr_[0-9a-f]{8}$'}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [status, data]
                properties:
                  status: {type: string}
                  message: {type: string}
                  data: {$ref: "#/components/schemas/User"}
components:
  schemas:
    User:
      type: object
      required: [id, email, status, created_at, date_of_birth]
      properties:
        id: {type: string, pattern: '^usr_[0-9a-f]{8}$'}
        email: {type: string, format: email}
        status: {type: string, enum: [active, blocked]}
        created_at: {type: string, format: date-time}
        date_of_birth: {type: string, format: date}
        nickname: {type: string, nullable: true, maxLength: 12}
        score: {type: integer, format: int32, minimum: -5, maximum: 5, multipleOf: 5}
    UserPage:
      type: object
      required: [status, data]
      properties:
        status: {type: string, enum: [success, error]}
        message: {type: string}
        data:
          type: object
          required: [items, pagination]
          properties:
            items: {type: array, items: {$ref: "#/components/schemas/User"}}
            pagination:
              type: object
              required: [page, per_page, total]
              properties:
                page: {type: integer}
                per_page: {type: integer}
                total: {type: integer}
                sort: {type: string}
                search: {type: string, nullable: true}
"##;

fn users(config: SandboxConfig) -> Sandbox {
    Sandbox::builder()
        .config(config)
        .spec(USERS_SPEC)
        .start()
        .expect("start")
}

/// Every page of `path` for `body`: (total, items).
fn walk<S: Target + ?Sized>(
    sandbox: &S,
    path: &str,
    body: Value,
    per_page: u64,
) -> (u64, Vec<Value>) {
    let mut items = Vec::new();
    let mut total = None;
    for page in 1..10_000 {
        let mut body = body.clone();
        body["page"] = json!(page);
        body["per_page"] = json!(per_page);
        let response = post_ok(sandbox, path, &body);
        total.get_or_insert(response.total());
        let got = response.items();
        if got.is_empty() {
            break;
        }
        items.extend(got);
    }
    (total.unwrap_or_default(), items)
}

fn ids(items: &[Value]) -> HashSet<String> {
    items
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn a_generated_list_walks_to_total_distinct_items_the_same_for_the_same_seed() {
    let Some(sandbox) = all_features(60) else {
        return;
    };
    let (total, items) = walk(&sandbox, "/bank-account/all", json!({}), 20);
    assert_eq!((total, items.len(), ids(&items).len()), (60, 60, 60));
    // Generated from the item schema: patterns, formats, enums.
    let digits9 = regress::Regex::new(r"^\d{9}$").expect("regex");
    for item in &items {
        assert!(
            digits9
                .find(item["routing_number"].as_str().unwrap_or(""))
                .is_some(),
            "{item}"
        );
        assert!(
            ["checking", "savings", "null"]
                .contains(&item["account_kind"].to_string().trim_matches('"')),
            "{item}"
        );
    }
    let again = all_features(60).expect("start");
    let page = json!({"page": 2, "per_page": 20});
    assert_eq!(
        post_ok(&sandbox, "/bank-account/all", &page).body,
        post_ok(&again, "/bank-account/all", &page).body
    );
    let other_seed = Sandbox::builder()
        .spec(fixture("all_features.py").unwrap_or_default())
        .seed(2)
        .items_per_operation(60)
        .start()
        .expect("start");
    assert_ne!(
        post_ok(&sandbox, "/bank-account/all", &page).body,
        post_ok(&other_seed, "/bank-account/all", &page).body
    );
    let past = post_ok(
        &sandbox,
        "/bank-account/all",
        &json!({"page": 99, "per_page": 10}),
    );
    assert_eq!((past.items().len(), past.total()), (0, 60));
    let echo = &past.json()["data"]["pagination"];
    assert_eq!(
        (
            echo["page"].clone(),
            echo["per_page"].clone(),
            echo["sort"].clone()
        ),
        (json!(99), json!(10), json!("created_at:desc"))
    );
}

#[test]
fn filters_narrow_a_generated_list() {
    let Some(sandbox) = all_features(90) else {
        return;
    };
    let (all, _) = walk(&sandbox, "/bank-account/all", json!({}), 50);
    let (savings, items) = walk(
        &sandbox,
        "/bank-account/all",
        json!({"account_kind": "savings"}),
        50,
    );
    assert!(savings > 0 && savings < all, "{savings} of {all}");
    assert_eq!(items.len() as u64, savings);
    assert!(items.iter().all(|i| i["account_kind"] == "savings"));

    let sandbox = users(SandboxConfig {
        items_per_operation: 120,
        ..SandboxConfig::default()
    });
    let (all, everyone) = walk(&sandbox, "/user/get-all", json!({}), 100);
    assert_eq!((all, ids(&everyone).len()), (120, 120));
    // Newest first on the item's date-time field; inclusive date bounds.
    let dates: Vec<&str> = everyone
        .iter()
        .filter_map(|u| u["created_at"].as_str())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] > w[1]), "newest first");
    let (n, window) = walk(
        &sandbox,
        "/user/get-all",
        json!({"start_date": dates[40], "end_date": dates[10]}),
        100,
    );
    assert_eq!(
        (n, window.first().map(|u| u["id"].clone())),
        (31, Some(everyone[10]["id"].clone()))
    );
    // Equality on an item field, free text over the item's strings.
    let (active, items) = walk(&sandbox, "/user/get-all", json!({"status": "active"}), 100);
    assert!(active > 0 && active < all && items.iter().all(|u| u["status"] == "active"));
    let email = everyone[5]["email"].as_str().unwrap_or_default().to_owned();
    let (one, found) = walk(&sandbox, "/user/get-all", json!({"email": email}), 100);
    assert_eq!(
        (one, found.first().map(|u| u["id"].clone())),
        (1, Some(everyone[5]["id"].clone()))
    );
    let needle = everyone[7]["id"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    let response = post_ok(&sandbox, "/user/get-all", &json!({"search": needle}));
    assert_eq!(response.total(), 1);
    assert_eq!(
        response.json()["data"]["pagination"]["search"],
        json!(needle)
    );
    // The schema's default per_page (20), not 10.
    assert_eq!(
        post_ok(&sandbox, "/user/get-all", &json!({})).items().len(),
        20
    );
}

#[test]
fn a_write_keeps_its_first_answer_per_key_and_lists_show_what_it_created() {
    let Some(sandbox) = all_features(30) else {
        return;
    };
    let body = |key: &str| {
        json!({
            "idempotent_key": key,
            "routing_number": "021000021",
            "account_number": "12345678",
            "owner_id": "123e4567-e89b-12d3-a456-426614174000",
            "holder": {"first_name": "Jane", "last_name": "Doe", "role": "owner"},
            "instrument": {"kind": "savings", "interest_rate": 0.025},
            "account_kind": null,
            "tags": ["payroll"]
        })
    };
    let first = post_ok(&sandbox, "/bank-account/create", &body("key-1"));
    let created = first.items();
    assert_eq!(created.len(), 1);
    let object = &created[0];
    // The request's fields the object has are copied in.
    assert_eq!(
        (
            object["routing_number"].clone(),
            object["account_kind"].clone()
        ),
        (json!("021000021"), Value::Null)
    );
    assert_eq!(object["holder"]["first_name"], "Jane");
    let repeat = post_ok(&sandbox, "/bank-account/create", &body("key-1"));
    assert_eq!(
        repeat.body, first.body,
        "the same key returns the first answer, byte for byte"
    );
    let second = post_ok(&sandbox, "/bank-account/create", &body("key-2"));
    assert_ne!(second.items()[0]["id"], object["id"]);
    let (total, items) = walk(&sandbox, "/bank-account/all", json!({}), 10);
    assert_eq!((total, ids(&items).len()), (32, 32));
    assert_eq!(items[0]["id"], second.items()[0]["id"], "newest first");
    assert_eq!(items[1]["id"], object["id"]);
}

#[test]
fn the_extended_spec_is_served_write_read_and_third_list() {
    let Some(spec) = fixture("extend_spec.py") else {
        return;
    };
    let sandbox = Sandbox::builder().spec(spec).start().expect("start");
    // A read without an idempotency key: one object, deterministic from the request.
    let cancel = json!({"id": "ptra-1"});
    let a = post_ok(&sandbox, "/payment-intent/cancel", &cancel);
    assert_eq!(a.items()[0]["id"], "ptra-1");
    assert_eq!(
        post_ok(&sandbox, "/payment-intent/cancel", &cancel).body,
        a.body
    );
    // A scope field (user_id is no item field) picks the data set.
    let mine = walk(
        &sandbox,
        "/payment-intent/user/all",
        json!({"user_id": "user-a"}),
        100,
    );
    let theirs = walk(
        &sandbox,
        "/payment-intent/user/all",
        json!({"user_id": "user-b"}),
        100,
    );
    assert_eq!((mine.0, ids(&mine.1).len()), (250, 250));
    assert!(ids(&mine.1).is_disjoint(&ids(&theirs.1)));
    assert_eq!(
        mine.1,
        walk(
            &sandbox,
            "/payment-intent/user/all",
            json!({"user_id": "user-a"}),
            100
        )
        .1
    );
    // A write shows up first in both lists of its item schema, the built-in one included.
    let made = post_ok(
        &sandbox,
        "/payment-intent/create",
        &json!({"amount": "10.00", "currency": "usd", "idempotent_key": "k"}),
    );
    let id = made.items()[0]["id"].clone();
    assert_eq!(made.items()[0]["amount"], "10.00");
    let intents = post_ok(&sandbox, INTENTS, &json!({"per_page": 2}));
    assert_eq!(
        (intents.total(), intents.items()[0]["id"].clone()),
        (2_501, id.clone())
    );
    let theirs = post_ok(
        &sandbox,
        "/payment-intent/user/all",
        &json!({"user_id": "user-b", "per_page": 1}),
    );
    assert_eq!(theirs.items()[0]["id"], id);
    // Contacts keep their built-in data: the created intent is no contact.
    let contacts = post_ok(
        &sandbox,
        CONTACTS,
        &json!({"user_id": "u", "business_id": "b"}),
    );
    assert_eq!(contacts.total(), 37);
}

#[test]
fn what_the_spec_forbids_is_refused_naming_the_field() {
    let default = Sandbox::start().expect("start");
    let cases = [
        (INTENTS, json!({"search": null}), "search: must not be null"),
        (
            INTENTS,
            json!({"status_str": null}),
            "status_str: must not be null",
        ),
        (
            INTENTS,
            json!({"page": 9_223_372_036_854_775_808_u64}),
            "page: must be an integer within the int64 range (got 9223372036854775808)",
        ),
        (INTENTS, json!({"api_key": {}}), "api_key: must be a string"),
        (
            CONTACTS,
            json!({"user_id": "u", "business_id": "b", "api_key": 7}),
            "api_key: must be a string",
        ),
        (
            INTENTS,
            json!({"start_date": "2026-01-01"}),
            "start_date: must be an RFC 3339 date-time",
        ),
    ];
    for (path, body, expected) in cases {
        let response = post(&default, path, &body);
        assert_eq!(
            (response.status, response.json()["status"].clone()),
            (400, json!("error")),
            "{body}"
        );
        assert!(
            response.message().starts_with(expected),
            "{body}: {}",
            response.message()
        );
    }
    // A valid RFC 3339 date-time in any offset, as given.
    post_ok(
        &default,
        INTENTS,
        &json!({"start_date": "9999-12-31T23:00:00-08:00"}),
    );

    let users = users(SandboxConfig::default());
    for (path, body, expected) in [
        (
            "/user/tiles",
            json!({"per_page": 15}),
            "per_page: must be a multiple of 10 (got 15)",
        ),
        (
            "/user/tiles",
            json!({"colour": "blue"}),
            "colour: is not a field of this object",
        ),
        (
            "/user/get-all",
            json!({"email": "nope"}),
            "email: must be an email address",
        ),
        (
            "/user/get-all",
            json!({"per_page": 101}),
            "per_page: must be between 1 and 100 (got 101)",
        ),
    ] {
        let response = post(&users, path, &body);
        assert_eq!(response.status, 400, "{body}");
        assert!(
            response.message().starts_with(expected),
            "{body}: {}",
            response.message()
        );
    }
    let Some(features) = all_features(5) else {
        return;
    };
    let signer = json!({"routing_number": "021000021", "account_number": "12345678", "owner_id": "123e4567-e89b-12d3-a456-426614174000",
        "holder": {"first_name": "J", "last_name": "D"}, "instrument": {"kind": "checking"},
        "signers": [{"name": "a"}, {"name": "b", "nickname": "x"}]});
    let response = post(&features, "/bank-account/create", &signer);
    assert_eq!(response.status, 400);
    assert!(
        response
            .message()
            .starts_with("signers[1].nickname: is not a field"),
        "{}",
        response.message()
    );
}

#[test]
fn any_operation_id_style_is_served_by_method_and_path() {
    let sandbox = users(SandboxConfig::default());
    post_ok(&sandbox, "/user/tiles", &json!({"per_page": 20}));
    let get = Tweaks {
        method: Some("GET"),
        ..Tweaks::default()
    };
    let one = post_with(&sandbox, "/user/usr_0123abcd", &json!({}), &get);
    assert_eq!(one.status, 200, "{}", one.message());
    assert!(one.json()["data"]["email"].is_string());
    let bad = post_with(&sandbox, "/user/42", &json!({}), &get);
    assert!(
        bad.status == 400 && bad.message().starts_with("user_id: must match the pattern"),
        "{}",
        bad.message()
    );
    let wrong = post(&sandbox, "/user/usr_0123abcd", &json!({}));
    assert_eq!((wrong.status, wrong.header("allow")), (405, Some("GET")));
    assert_eq!(post(&sandbox, "/user/all/more", &json!({})).status, 404);
}

#[test]
fn pinned_items_are_served_as_given_and_checked_at_start() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let user = |n: u32, status: &str| {
        json!({"id": format!("usr_{n:08x}"), "email": format!("u{n}@example.com"), "status": status,
            "created_at": "2026-01-01T00:00:00Z", "date_of_birth": "1990-01-01"})
    };
    let ndjson = dir.join("users.ndjson");
    let lines: Vec<String> = (0..25)
        .map(|n| user(n, if n % 5 == 0 { "blocked" } else { "active" }).to_string())
        .collect();
    std::fs::write(&ndjson, lines.join("\n") + "\n").expect("write");
    let array = dir.join("users.json");
    std::fs::write(&array, json!([user(1, "active")]).to_string()).expect("write");
    let sandbox = Sandbox::builder()
        .spec(USERS_SPEC)
        .data("listUsers", &ndjson)
        .data("list-user-tiles", &array)
        .start()
        .expect("start");
    let (total, items) = walk(&sandbox, "/user/get-all", json!({}), 10);
    assert_eq!(total, 25);
    assert_eq!(items[3], user(3, "active"), "served as given");
    let (blocked, _) = walk(&sandbox, "/user/get-all", json!({"status": "blocked"}), 10);
    assert_eq!(blocked, 5);
    assert_eq!(
        post_ok(&sandbox, "/user/tiles", &json!({"per_page": 10})).items(),
        [user(1, "active")]
    );

    let bad = dir.join("bad-users.ndjson");
    std::fs::write(
        &bad,
        format!("{}\n\n{}\n", user(1, "active"), user(2, "asleep")),
    )
    .expect("write");
    let refused = Sandbox::builder()
        .spec(USERS_SPEC)
        .data("listUsers", &bad)
        .start();
    let message = refused.map(|_| ()).map_err(|e| e.to_string()).unwrap_err();
    assert!(
        message.contains("bad-users.ndjson")
            && message.contains("item 1 (line 3)")
            && message.contains("status: must be one of active, blocked"),
        "{message}"
    );
    let in_code = Sandbox::builder().spec(USERS_SPEC).data_items("listUsers", vec![json!({"id": 1, "email": "a@b.c", "status": "active", "created_at": "2026-01-01T00:00:00Z", "date_of_birth": "1990-01-01"})]).start();
    let error = in_code.map(|_| ()).unwrap_err();
    let setup = error.get_ref().and_then(|e| e.downcast_ref::<SetupError>());
    assert!(
        matches!(setup, Some(SetupError::Data { problem, .. }) if problem.contains("item 0") && problem.contains("id: must be a string")),
        "{error}"
    );
    let unknown = Sandbox::builder()
        .spec(USERS_SPEC)
        .data_items("user.get", vec![])
        .start();
    assert!(
        unknown
            .map(|_| ())
            .unwrap_err()
            .to_string()
            .contains("not a list operation")
    );
}

#[test]
fn a_spec_that_cannot_be_served_is_refused_at_start() {
    for (spec, expected) in [
        ("paths: [", "spec: not YAML or JSON"),
        (
            "{\"paths\": {\"/a\": {\"$ref\": \"#/nope\"}}}",
            "does not resolve",
        ),
        (
            "paths: {}\ncomponents: {schemas: {A: {type: string, pattern: '(x'}}}",
            "is not ECMA-262",
        ),
    ] {
        let error = Sandbox::builder()
            .spec(spec)
            .start()
            .map(|_| ())
            .unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
}

/// Every operation of the all-features spec, over many seeds and pages: the
/// sandbox checks each answer against the response schema before sending it
/// (a 500 names the field otherwise), so every 200 here is within the spec.
#[test]
fn every_answer_to_every_operation_is_within_its_schema() {
    let Some(spec) = fixture("all_features.py") else {
        return;
    };
    let document: Value = serde_yaml::from_str(&spec).expect("yaml");
    let operations: Vec<(String, String)> = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, _)| (path.clone(), method.to_uppercase()))
        })
        .collect();
    assert_eq!(operations.len(), 4, "{operations:?}");
    let create = json!({"routing_number": "021000021", "account_number": "12345678",
        "owner_id": "123e4567-e89b-12d3-a456-426614174000", "holder": {"first_name": "J", "last_name": "D"},
        "instrument": {"kind": "checking"}});
    let bodies = |path: &str| match path {
        "/business/customers/get-all" => {
            vec![json!({"user_id": "u", "business_id": "b", "per_page": 100})]
        }
        "/bank-account/create" => vec![
            create.clone(),
            json!({"idempotent_key": "k", "tags": ["a"], "address": {"line1": "x", "city": "y", "postal_code": "10001"}, "routing_number": "021000021", "account_number": "12345678", "owner_id": "123e4567-e89b-12d3-a456-426614174000", "holder": {"first_name": "J", "last_name": "D"}, "instrument": {"kind": "savings", "interest_rate": 1.5}}),
        ],
        _ => (1..=3)
            .map(|page| json!({"page": page, "per_page": 100}))
            .collect(),
    };
    let mut answered = 0;
    for seed in 0..12 {
        let sandbox = Sandbox::builder()
            .spec(spec.clone())
            .seed(seed)
            .start()
            .expect("start");
        for (path, method) in &operations {
            for body in bodies(path) {
                let tweaks = Tweaks {
                    method: Some(if method == "POST" { "POST" } else { "GET" }),
                    ..Tweaks::default()
                };
                let response = post_with(&sandbox, path, &body, &tweaks);
                assert_eq!(
                    response.status,
                    200,
                    "seed {seed} {method} {path}: {}",
                    response.message()
                );
                answered += response.items().len().max(1);
            }
        }
    }
    // Contacts (37), three pages of intents, every bank account (250), two creates.
    assert_eq!(answered, 12 * (37 + 300 + 250 + 2));
}
