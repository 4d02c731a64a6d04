//! The drift observer: against servers whose every byte the test wrote, the
//! log holds exactly the drift served, counted, never a value or a credential;
//! it stays bounded and valid while concurrent walks write to it.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use ingo_banking::{Client, Credentials, DriftEntry, RateLimit};
use serde_json::{Value, json};

const API_KEY: &str = "drift-test-api-key-5f3c9d";
const HMAC_USERNAME: &str = "drift-test-user-b81e";
const HMAC_SECRET: &str = "drift-test-secret-0c2a77";

/// A log path of its own for each test, removed first.
fn log_path(name: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("ingo-drift-{}-{name}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Every line of the log, as JSON (each line must be JSON).
fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("the log was written");
    assert!(text.ends_with('\n'), "the log ends with a newline");
    text.lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

/// A line without its times, after checking they are RFC 3339 and in order.
fn timeless(mut line: Value) -> Value {
    let time = |key: &str| {
        let text = line[key].as_str().expect("a time");
        chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339")
    };
    assert!(time("first_seen") <= time("last_seen"), "{line}");
    let object = line.as_object_mut().expect("an object");
    object.remove("first_seen");
    object.remove("last_seen");
    line
}

fn envelope(items: Value, page: u64, total: u64) -> String {
    json!({
        "status": "success",
        "message": "msg-value-7777",
        "data": {"items": items, "pagination": {"page": page, "per_page": 2, "total": total}}
    })
    .to_string()
}

fn intent(id: &str, amount: &str, status: &str) -> Value {
    json!({"id": id, "amount": amount, "currency": "cur-value-zzq", "status": status})
}

fn ok(body: &str) -> Vec<u8> {
    common::http_reply("200 OK", &["Content-Type: application/json"], body)
}

fn builder(url: String) -> ingo_banking::ClientBuilder {
    Client::builder()
        .base_url(url)
        .credentials(Credentials::new(API_KEY, HMAC_USERNAME, HMAC_SECRET).expect("credentials"))
        .retry_policy(common::fast_retries())
        .rate_limit(None::<RateLimit>)
}

#[tokio::test]
async fn a_walk_records_exactly_the_drift_served_counted_and_no_value() {
    let mut first = intent("pi-value-1111", "1.000000001", "pending");
    first["risk_score"] = json!(0.4242);
    let mut second = intent("pi-value-2222", "123.45", "on_hold");
    second["risk_score"] = json!(0.4646);
    let mut third = intent("pi-value-3333", "200.00", "completed");
    third["risk_score"] = json!(777777);
    let mut fourth = intent("pi-value-4444", "300.00", "failed");
    fourth["risk_score"] = json!(0.4545);
    let mut bad_date = intent("pi-value-5555", "400.00", "pending");
    bad_date["posting_date"] = json!("yesterday-value");
    let mut no_currency = intent("pi-value-6666", "500.00", "pending");
    no_currency.as_object_mut().map(|o| o.remove("currency"));
    let replies = [
        ok(&envelope(json!([first, second]), 1, 4)),
        ok(&envelope(json!([third, fourth]), 2, 4)),
        // An undocumented status, whose body is drift too (against the
        // documented 200): a field the spec does not declare.
        common::http_reply(
            "202 Accepted",
            &["Content-Type: application/json"],
            &envelope(json!([]), 1, 0).replacen('{', r#"{"queued":"val-queued-8888","#, 1),
        ),
        ok(&envelope(json!([bad_date]), 1, 1)),
        ok(&envelope(json!([no_currency]), 1, 1)),
    ];
    let served: Vec<String> = replies
        .iter()
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect();
    let (url, _) = common::raw_server(move |n| replies.get(n).cloned().unwrap_or_default()).await;
    let path = log_path("walk");
    let heard = Arc::new(Mutex::new(Vec::<DriftEntry>::new()));
    let sink = heard.clone();
    let client = builder(url)
        .drift_log(&path)
        .drift_observer(move |entry| sink.lock().expect("entries").push(entry.clone()))
        .build()
        .expect("client");

    let items: Vec<_> = client
        .list_payment_intents()
        .per_page(2)
        .items()
        .try_collect()
        .await
        .expect("the walk decodes every page");
    assert_eq!(items.len(), 4);
    assert!(!items[1].status.is_known(), "`on_hold` decodes as Unknown");
    let status = client
        .list_contacts()
        .user_id("u")
        .business_id("b")
        .call()
        .await;
    assert!(matches!(
        status,
        Err(ingo_banking::Error::UndecodableResponse {
            status: Some(202),
            ..
        })
    ));
    for defect in ["posting_date", "currency"] {
        let page = client.list_payment_intents().call().await;
        assert!(
            matches!(&page, Err(ingo_banking::Error::UndecodableResponse { reason, .. }) if reason.contains(defect)),
            "{page:?}"
        );
    }
    drop(client);

    let amount_pattern = r"^-?[0-9]{1,20}(\.[0-9]{1,8})?$";
    let expected: BTreeSet<String> = [
        json!({"operation": "list_payment_intents", "path": "data.items[].risk_score", "kind": "undeclared_field", "json_types": ["number", "integer"], "count": 4}),
        json!({"operation": "list_payment_intents", "path": "data.items[].status", "kind": "unlisted_enum_value", "value": "on_hold", "count": 1}),
        json!({"operation": "list_payment_intents", "path": "data.items[].amount", "kind": "pattern_violation", "pattern": amount_pattern, "count": 1}),
        json!({"operation": "list_contacts", "path": "", "kind": "undocumented_status", "status": 202, "count": 1}),
        json!({"operation": "list_contacts", "path": "queued", "kind": "undeclared_field", "json_types": ["string"], "count": 1}),
        json!({"operation": "list_payment_intents", "path": "data.items[].posting_date", "kind": "format_violation", "format": "date-time", "count": 1}),
        json!({"operation": "list_payment_intents", "path": "data.items[].currency", "kind": "missing_required", "count": 1}),
    ]
    .iter()
    .map(Value::to_string)
    .collect();
    let logged: BTreeSet<String> = lines(&path)
        .into_iter()
        .map(|line| timeless(line).to_string())
        .collect();
    assert_eq!(logged, expected);

    // The callback heard each entry as it was counted; its last word on each is the log's.
    let mut last = std::collections::BTreeMap::new();
    for entry in heard.lock().expect("entries").iter() {
        let line = timeless(serde_json::to_value(entry).expect("an entry is JSON"));
        let mut identity = line.clone();
        identity.as_object_mut().map(|o| o.remove("count"));
        identity.as_object_mut().map(|o| o.remove("json_types"));
        last.insert(identity.to_string(), line.to_string());
    }
    assert_eq!(last.into_values().collect::<BTreeSet<_>>(), expected);

    // No value the server sent (but the enum value), and nothing of the request.
    let text = std::fs::read_to_string(&path).expect("log");
    // What `ingo spec drift` reads: every line, as written.
    let read =
        ingo_overlay::drift::read(&[("log".into(), text.clone())]).expect("it reads the log");
    assert_eq!(read.len(), expected.len());
    assert!(read.iter().any(|e| e.kind == "pattern_violation"
        && e.rule.as_deref() == Some(amount_pattern)
        && e.count == 1));
    assert!(
        read.iter()
            .any(|e| e.status == Some(202) && e.operation == "list_contacts")
    );
    let mut values = BTreeSet::new();
    for reply in &served {
        let body = &reply[reply.find("\r\n\r\n").map_or(0, |i| i + 4)..];
        strings_of(
            &serde_json::from_str(body).expect("a served body"),
            &mut values,
        );
    }
    values.remove("on_hold");
    assert!(values.len() >= 10, "{values:?}");
    for secret in values
        .iter()
        .map(String::as_str)
        .chain([API_KEY, HMAC_USERNAME, HMAC_SECRET])
    {
        assert!(!text.contains(secret), "the log shows {secret:?}:\n{text}");
    }
    let _ = std::fs::remove_file(&path);
}

/// Every string and number (as text) in `value`, values only.
fn strings_of(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Number(n) if n.as_u64().is_none_or(|n| n > 99) => {
            out.insert(n.to_string());
        }
        Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings_of(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn distinct_entries_are_capped_and_the_rest_counted_in_one_line() {
    let mut body = json!({"status": "success", "message": "m"});
    for i in 0..1500 {
        body[format!("x{i:04}")] = json!(i);
    }
    let body = body.to_string();
    let (url, _) = common::raw_server(move |_| ok(&body)).await;
    let path = log_path("cap");
    let client = builder(url).drift_log(&path).build().expect("client");
    for _ in 0..2 {
        client
            .list_payment_intents()
            .call()
            .await
            .expect("decodes: the extra keys are ignored");
    }
    drop(client);
    let lines = lines(&path);
    assert_eq!(lines.len(), ingo_banking::drift::MAX_ENTRIES + 1);
    let (dropped, kept) = lines.split_last().expect("lines");
    assert!(
        kept.iter()
            .all(|l| l["kind"] == "undeclared_field" && l["count"] == 2)
    );
    assert_eq!(kept[0]["path"], "x0000");
    assert_eq!(kept[999]["path"], "x0999");
    assert_eq!(
        timeless(dropped.clone()),
        json!({"kind": "dropped", "limit": 1000, "count": 1000})
    );
    // `ingo spec drift` counts it apart; it reads back as an entry all the same.
    let text = std::fs::read_to_string(&path).expect("log");
    let read = ingo_overlay::drift::read(&[("log".into(), text)]).expect("it reads the log");
    assert_eq!(read.len(), ingo_banking::drift::MAX_ENTRIES);
    let entry: DriftEntry = serde_json::from_value(dropped.clone()).expect("an entry");
    assert_eq!((entry.operation.as_str(), entry.count), ("", 1000));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_walks_keep_the_log_valid_and_count_every_item() {
    use ingo_sandbox::FaultKind;
    let sandbox = common::sandbox_with(ingo_sandbox::SandboxConfig {
        payment_intents: 3000,
        faults: vec![
            FaultKind::ExtraFields.into(),
            FaultKind::UnknownEnumValue.into(),
        ],
        ..Default::default()
    });
    let path = log_path("concurrent");
    let client = common::builder(&sandbox)
        .drift_log(&path)
        .build()
        .expect("client");
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, done) = (path.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if path.exists() {
                    lines(&path);
                    reads += 1;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            reads
        })
    };
    // Six walks at once, each page decoded in a task of its own (prefetch),
    // round after round until the log has been rewritten a few times.
    let (started, mut rounds, mut walked) = (std::time::Instant::now(), 0, 0);
    while rounds == 0 || started.elapsed() < std::time::Duration::from_millis(4500) {
        let walks = (0..6).map(|_| {
            client
                .list_payment_intents()
                .per_page(100)
                .items()
                .prefetch(true)
                .try_collect::<Vec<_>>()
        });
        let round: Vec<_> = futures::future::try_join_all(walks).await.expect("walks");
        walked += round.iter().map(Vec::len).sum::<usize>();
        rounds += 1;
    }
    assert_eq!(walked, rounds * 6 * 3000);
    drop(client);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.join().expect("the reader never saw an invalid log");
    assert!(reads > 0, "the log was read while it was being rewritten");

    let lines = lines(&path);
    let find = |at: &str| -> Value {
        let found: Vec<&Value> = lines.iter().filter(|l| l["path"] == at).collect();
        assert_eq!(found.len(), 1, "one line for {at}: {lines:#?}");
        timeless(found[0].clone())
    };
    let pages = rounds * 6 * 30;
    let op = "list_payment_intents";
    let undeclared = |types: Value, count: usize| json!({"operation": op, "kind": "undeclared_field", "json_types": types, "count": count});
    let with_path = |mut v: Value, path: &str| {
        v["path"] = json!(path);
        v
    };
    let expected = [
        ("request_id", undeclared(json!(["string"]), pages)),
        ("api_version", undeclared(json!(["string"]), pages)),
        ("data.cursor", undeclared(json!(["object"]), pages)),
        (
            "data.pagination.has_more",
            undeclared(json!(["boolean"]), pages),
        ),
        (
            "data.pagination.total_pages",
            undeclared(json!(["integer"]), pages),
        ),
        (
            "data.items[].x_unknown_field",
            undeclared(json!(["object"]), walked),
        ),
        (
            "data.items[].risk_score",
            undeclared(json!(["number"]), walked),
        ),
        (
            "data.items[].status",
            json!({"operation": op, "kind": "unlisted_enum_value", "value": "under_review", "count": pages}),
        ),
        (
            "data.items[].direction",
            json!({"operation": op, "kind": "unlisted_enum_value", "value": "sideways", "count": pages}),
        ),
    ];
    for (at, entry) in &expected {
        assert_eq!(find(at), with_path(entry.clone(), at), "at {at}");
    }
    assert_eq!(lines.len(), expected.len(), "nothing else: {lines:#?}");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_log_that_cannot_be_written_fails_no_call() {
    let sandbox = common::sandbox_with(ingo_sandbox::SandboxConfig {
        faults: vec![ingo_sandbox::FaultKind::ExtraFields.into()],
        ..Default::default()
    });
    let path = std::env::temp_dir()
        .join("ingo-drift-no-such-directory")
        .join("log.ndjson");
    // The warning comes from the log's own thread: listen process-wide.
    let logs = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || common::LogWriter(writer.clone()))
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    let heard = Arc::new(Mutex::new(0usize));
    let sink = heard.clone();
    let client = common::builder(&sandbox)
        .drift_log(&path)
        .drift_observer(move |_| *sink.lock().expect("count") += 1)
        .build()
        .expect("client");
    let items: Vec<_> = client
        .list_payment_intents()
        .per_page(50)
        .items()
        .try_collect()
        .await
        .expect("the walk is not the log's business");
    assert!(!items.is_empty());
    // A write tried (and failed) on the writer's tick, then more drift, and
    // the last write at the drop: one warning for them all.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    client.list_payment_intents().call().await.expect("a call");
    drop(client);
    assert!(!path.exists());
    let logs = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
    assert_eq!(
        logs.matches("cannot write the drift log").count(),
        1,
        "{logs}"
    );
    assert!(
        *heard.lock().expect("count") > 0,
        "the callback still hears drift"
    );
}

#[test]
fn check_response_reports_drift_even_when_decoding_fails() {
    let body = br#"{"status":"success","message":"m","data":{"items":[{"id":"a","amount":"1","status":"pending"}],"pagination":{"page":1,"per_page":1,"total":1}}}"#;
    let (decoded, entries) = ingo_banking::check_response::<
        ingo_banking::types::ListPaymentIntentsResponse,
    >("list_payment_intents", body);
    assert!(decoded.is_err());
    let found: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e.path.clone(),
                serde_json::to_value(&e.kind).expect("json")["kind"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            "data.items[].currency".to_string(),
            "\"missing_required\"".to_string()
        )]
    );
}

#[test]
fn the_observer_decodes_what_serde_json_decodes_and_fails_where_it_fails() {
    type Page = ingo_banking::types::ListPaymentIntentsResponse;
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let item = r#"{"id":"a","amount":"1","currency":"c","status":"pending"}"#;
    let bodies = [
        // An undeclared number no f64 holds, deep nesting, an escaped key.
        r#"{"status":"success","message":"m","huge":1e400}"#.to_string(),
        format!(r#"{{"status":"success","message":"m","deep":{deep}}}"#),
        format!(
            r#"{{"status":"success","message":"m","data":{{"items":[{item}],"pagination":{{"page":1,"per_page":1,"total":1}},"ne\u0077_key":"v"}}}}"#
        ),
        // Broken: a status of the wrong type, trailing bytes, a page cut short.
        r#"{"status":7,"message":"m"}"#.to_string(),
        r#"{"status":"success","message":"m"} x"#.to_string(),
        r#"{"status":"success","message":"m","data":{"items":["#.to_string(),
    ];
    for (i, body) in bodies.iter().enumerate() {
        let plain = serde_json::from_slice::<Page>(body.as_bytes());
        assert_eq!(plain.is_ok(), i < 3, "{body}");
        let (observed, _) =
            ingo_banking::check_response::<Page>("list_payment_intents", body.as_bytes());
        assert_eq!(
            observed.as_ref().map_err(ToString::to_string),
            plain.as_ref().map_err(ToString::to_string),
            "{body}"
        );
    }
    let (_, entries) =
        ingo_banking::check_response::<Page>("list_payment_intents", bodies[2].as_bytes());
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["data.new_key"]);
    let (_, entries) =
        ingo_banking::check_response::<Page>("list_payment_intents", bodies[0].as_bytes());
    assert_eq!(
        serde_json::to_value(&entries[0].kind).expect("json"),
        json!({"kind": "undeclared_field", "json_types": ["number"]})
    );
}
