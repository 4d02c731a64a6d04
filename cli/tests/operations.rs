//! Every operation in both forms, the filters, and `--all` in every format.

mod common;

use common::*;
use ingo_sandbox::SandboxConfig;
use serde_json::Value;

#[test]
fn contacts_list_friendly_and_generated_forms_agree() {
    let sb = sandbox();
    let (user, business) = sb.businesses().into_iter().next().expect("a business");
    let args = [
        "--user-id",
        &user,
        "--business-id",
        &business,
        "--per-page",
        "5",
        "-o",
        "json",
    ];
    let friendly = stdout_of(ingo(&sb).args(["contacts", "list"]).args(args));
    let generated = stdout_of(ingo(&sb).arg("list-contacts").args(args));
    assert_eq!(friendly, generated);
    let items = json_items(&friendly);
    assert_eq!(items.len(), 5);
    assert_distinct(&field(&items, "id"));
    // --page moves on.
    let page2 = json_items(&stdout_of(
        ingo(&sb)
            .args(["contacts", "list", "--page", "2"])
            .args(args),
    ));
    assert_eq!(page2.len(), 5);
    assert!(
        field(&page2, "id")
            .iter()
            .all(|id| !field(&items, "id").contains(id))
    );
}

#[test]
fn payment_intents_list_friendly_and_generated_forms_agree() {
    let sb = sandbox();
    let friendly = stdout_of(ingo(&sb).args(["payment-intents", "list", "--per-page", "4"]));
    let generated = stdout_of(ingo(&sb).args(["list-payment-intents", "--per-page", "4"]));
    assert_eq!(friendly, generated);
    // Not a terminal: json by default.
    let items = json_items(&friendly);
    assert_eq!(items.len(), 4);
    assert!(
        items[0]["amount"].is_string(),
        "amounts stay decimal strings"
    );
    // Without --per-page: the API's default page size.
    assert_eq!(
        json_items(&stdout_of(ingo(&sb).args(["payment-intents", "list"]))).len(),
        10
    );
}

#[test]
fn contact_type_filter() {
    let sb = sandbox();
    let (user, business) = sb.businesses().into_iter().next().expect("a business");
    let out = stdout_of(ingo(&sb).args([
        "contacts",
        "list",
        "--user-id",
        &user,
        "--business-id",
        &business,
        "--type",
        "customers",
        "--all",
    ]));
    let items = json_items(&out);
    assert!(!items.is_empty());
    assert!(
        field(&items, "contact_type")
            .iter()
            .all(|t| *t == "customers")
    );
}

#[test]
fn status_filter_returns_only_that_status_in_both_forms() {
    let sb = sandbox();
    let friendly = stdout_of(ingo(&sb).args([
        "payment-intents",
        "list",
        "--status",
        "pending",
        "--per-page",
        "50",
    ]));
    let generated = stdout_of(ingo(&sb).args([
        "list-payment-intents",
        "--status-str",
        "pending",
        "--per-page",
        "50",
    ]));
    assert_eq!(friendly, generated);
    let items = json_items(&friendly);
    assert_eq!(items.len(), 50);
    assert!(field(&items, "status").iter().all(|s| *s == "pending"));
}

#[test]
fn direction_action_and_entity_type_filters() {
    let sb = sandbox();
    for (flag, value, item_field) in [
        ("--direction", "debit", "direction"),
        ("--payment-direction", "credit", "direction"),
        ("--action", "hold", "action"),
        ("--entity-type", "business", "entity_type"),
    ] {
        let out =
            stdout_of(ingo(&sb).args(["payment-intents", "list", flag, value, "--per-page", "30"]));
        let items = json_items(&out);
        assert!(!items.is_empty(), "{flag} {value}: no items");
        assert!(
            field(&items, item_field).iter().all(|v| *v == value),
            "{flag} {value}"
        );
    }
}

#[test]
fn search_filter() {
    let sb = sandbox();
    let first = json_items(&stdout_of(ingo(&sb).args([
        "payment-intents",
        "list",
        "--per-page",
        "1",
    ])));
    let needle = &first[0]["id"].as_str().expect("an id")[5..18];
    let items = json_items(&stdout_of(ingo(&sb).args([
        "payment-intents",
        "list",
        "--search",
        needle,
        "--all",
    ])));
    assert!(field(&items, "id").iter().any(|id| id.contains(needle)));
    for item in &items {
        assert!(
            item.to_string().contains(needle),
            "{item} does not match {needle}"
        );
    }
}

#[test]
fn date_range_filter_with_date_times_and_plain_dates() {
    let sb = sandbox();
    let page = json_items(&stdout_of(ingo(&sb).args([
        "payment-intents",
        "list",
        "--per-page",
        "40",
    ])));
    // Newest first: item 30 is older than item 10.
    let (end, start) = (
        field(&page, "posting_date")[10],
        field(&page, "posting_date")[30],
    );
    let items = json_items(&stdout_of(ingo(&sb).args([
        "payment-intents",
        "list",
        "--all",
        "--start-date",
        start,
        "--end-date",
        end,
    ])));
    assert_eq!(items.len(), 21, "both bounds are inclusive");
    assert_eq!(field(&items, "posting_date").first(), Some(&end));
    assert_eq!(field(&items, "posting_date").last(), Some(&start));

    // A plain date covers the whole day (UTC), the end bound included.
    let day = &start[..10];
    let out = stdout_of(ingo(&sb).args([
        "payment-intents",
        "list",
        "--all",
        "-o",
        "ndjson",
        "--start-date",
        day,
        "--end-date",
        day,
    ]));
    let items = ndjson_items(&out);
    assert!(!items.is_empty());
    assert!(
        field(&items, "posting_date")
            .iter()
            .all(|d| d.starts_with(day)),
        "{day}"
    );
}

/// `--all --per-page 7` over several pages, in every format: every item, once.
#[test]
fn all_walks_every_page_in_every_format() {
    let sb = sandbox_with(SandboxConfig {
        payment_intents: 100,
        ..SandboxConfig::default()
    });
    let total = sb.payment_intent_count() as usize;
    assert_eq!(total, 100);
    let walk = |format: &str| {
        stdout_of(ingo(&sb).args([
            "payment-intents",
            "list",
            "--all",
            "--per-page",
            "7",
            "-o",
            format,
        ]))
    };

    let json = json_items(&walk("json"));
    assert_eq!(json.len(), total);
    assert_distinct(&field(&json, "id"));

    let ndjson = ndjson_items(&walk("ndjson"));
    assert_eq!(ndjson, json);

    let csv_text = walk("csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().expect("a header").clone();
    assert_eq!(&header[0], "id");
    let metadata_col = header
        .iter()
        .position(|h| h == "metadata")
        .expect("a metadata column");
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("valid csv");
    assert_eq!(rows.len(), total);
    let ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_distinct(&ids);
    assert_eq!(ids, field(&json, "id"));
    // Nested objects are JSON text in one cell.
    let nested = rows
        .iter()
        .find(|r| !r[metadata_col].is_empty())
        .expect("an item with metadata");
    assert!(
        serde_json::from_str::<Value>(&nested[metadata_col])
            .expect("JSON text")
            .is_object()
    );

    let table = walk("table");
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("ID "), "{}", lines[0]);
    assert_eq!(lines.len(), total + 1);
    let ids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_distinct(&ids);
    assert_eq!(ids, field(&json, "id"));
}

#[test]
fn all_walks_contacts_in_both_forms() {
    let sb = sandbox();
    let (user, business) = sb.businesses().into_iter().next().expect("a business");
    let args = [
        "--user-id",
        &user,
        "--business-id",
        &business,
        "--all",
        "--per-page",
        "7",
        "-o",
        "ndjson",
    ];
    let friendly = ndjson_items(&stdout_of(ingo(&sb).args(["contacts", "list"]).args(args)));
    let generated = ndjson_items(&stdout_of(ingo(&sb).arg("list-contacts").args(args)));
    assert_eq!(friendly, generated);
    assert_eq!(
        friendly.len(),
        SandboxConfig::default().contacts_per_business
    );
    assert_distinct(&field(&friendly, "id"));
}

#[test]
fn empty_results_are_valid_in_every_format() {
    let sb = sandbox();
    let none = [
        "payment-intents",
        "list",
        "--all",
        "--search",
        "no-such-thing-anywhere",
    ];
    assert_eq!(
        stdout_of(ingo(&sb).args(none).args(["-o", "json"])).trim(),
        "[]"
    );
    assert_eq!(stdout_of(ingo(&sb).args(none).args(["-o", "ndjson"])), "");
    let csv = stdout_of(ingo(&sb).args(none).args(["-o", "csv"]));
    assert!(csv.starts_with("id,amount,"), "{csv}");
    assert_eq!(csv.lines().count(), 1);
}

#[test]
fn flags_may_come_from_the_command_line_instead_of_the_environment() {
    let sb = sandbox();
    let creds = sb.credentials();
    let out = stdout_of(bare().args([
        "payment-intents",
        "list",
        "--per-page",
        "2",
        "--rate-limit",
        "0",
        "--base-url",
        sb.base_url(),
        "--api-key",
        &creds.api_key,
        "--hmac-username",
        &creds.hmac_username,
        "--hmac-secret",
        &creds.hmac_secret,
    ]));
    assert_eq!(json_items(&out).len(), 2);
}

/// The sandbox serves contacts for any ids a user makes up, the same ones each time.
#[test]
fn contacts_for_ids_a_user_picks() {
    let sb = sandbox();
    let args = [
        "contacts",
        "list",
        "--user-id",
        "user-anything",
        "--business-id",
        "buss-anything",
        "--output",
        "ndjson",
    ];
    let first = stdout_of(ingo(&sb).args(args));
    let second = stdout_of(ingo(&sb).args(args));
    assert_eq!(first.lines().count(), 10, "one page of the default size");
    assert_eq!(first, second);
    for line in first.lines() {
        let contact: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(contact["id"].as_str().unwrap().starts_with("bcus-"));
    }
}
