//! The gateway's checks, over real HTTP: each 401 branch has its own message.

mod common;

use std::io::Write;
use std::net::Shutdown;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use ingo_sandbox::{
    AuthError, FaultKind, FaultRule, Sandbox, SandboxConfig, SandboxCredentials, verify_request,
};
use serde_json::json;

fn intents_body() -> serde_json::Value {
    json!({"per_page": 3})
}

fn rejected(sandbox: &Sandbox, t: &Tweaks) -> String {
    let response = post_with(sandbox, INTENTS, &intents_body(), t);
    assert_eq!(
        response.status,
        401,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert!(response.header("date").is_some());
    // Kong's hmac-auth refusal: a challenge and `{"message":…}` with no `status`.
    assert_eq!(response.header("www-authenticate"), Some("hmac"));
    assert_eq!(
        response.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let body = response.json();
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    assert!(body.get("status").is_none(), "{body}");
    assert!(response.header("x-kong-request-id").is_some());
    response.message()
}

#[test]
fn a_correct_signature_is_accepted_and_logged() -> std::io::Result<()> {
    let sandbox = Sandbox::start()?;
    let response = post_ok(&sandbox, INTENTS, &intents_body());
    assert!(response.header("date").is_some());
    let log = sandbox.requests();
    assert_eq!(log.len(), 1);
    let record = &log[0];
    assert_eq!(record.method, "POST");
    assert_eq!(record.path, "/api/v4/payment-intent/program/all");
    assert_eq!(record.status, 200);
    assert!(record.signature_verified);
    assert_eq!(record.auth_failure, None);
    assert!(
        record
            .x_date
            .as_deref()
            .is_some_and(|d| d.ends_with(" GMT"))
    );
    assert_eq!(record.body_len, br#"{"per_page":3}"#.len());
    Ok(())
}

#[test]
fn every_failed_check_has_its_own_message() -> std::io::Result<()> {
    let sandbox = Sandbox::start()?;
    let cases: Vec<(Tweaks, &str)> = vec![
        (
            Tweaks {
                secret: Some("wrong secret".into()),
                ..Tweaks::default()
            },
            "hmac signature does not match the request",
        ),
        (
            Tweaks {
                send_body: Some(br#"{"per_page":4}"#.to_vec()),
                ..Tweaks::default()
            },
            "content-sha512 does not match the SHA-512 of the body received",
        ),
        (
            Tweaks {
                date_offset_secs: -600,
                ..Tweaks::default()
            },
            "x-date is outside the allowed clock skew of 300 s",
        ),
        (
            Tweaks {
                date_offset_secs: 301,
                ..Tweaks::default()
            },
            "x-date is outside the allowed clock skew of 300 s",
        ),
        (
            Tweaks {
                x_date: Some("Friday, 17-Jan-20 19:59:29 GMT".into()),
                ..Tweaks::default()
            },
            "x-date is not an IMF-fixdate",
        ),
        (
            Tweaks {
                authorization: Some("Bearer abc".into()),
                ..Tweaks::default()
            },
            "authorization header is malformed",
        ),
        (
            Tweaks {
                authorization: Some(
                    "hmac username=\"sandbox-user\", algorithm=\"hmac-sha256\", headers=\"request-line x-date content-type content-sha512 content-length\", signature=\"AA==\"".into(),
                ),
                ..Tweaks::default()
            },
            "authorization algorithm must be \"hmac-sha512\"",
        ),
        (
            Tweaks {
                authorization: Some(
                    "hmac username=\"sandbox-user\", algorithm=\"hmac-sha512\", headers=\"x-date content-type\", signature=\"AA==\"".into(),
                ),
                ..Tweaks::default()
            },
            "authorization headers must be",
        ),
        (
            Tweaks {
                username: Some("mallory".into()),
                ..Tweaks::default()
            },
            "hmac username is unknown",
        ),
        (
            Tweaks {
                api_key_header: Some(None),
                ..Tweaks::default()
            },
            "api key missing",
        ),
        (
            Tweaks {
                api_key_header: Some(Some("not-the-key".into())),
                ..Tweaks::default()
            },
            "api key invalid",
        ),
    ];
    for (tweaks, expected) in &cases {
        let message = rejected(&sandbox, tweaks);
        assert!(
            message.starts_with(expected),
            "{tweaks:?}: got {message:?}, want {expected:?}"
        );
    }
    for name in ingo_sandbox::REQUIRED_HEADERS {
        let message = rejected(
            &sandbox,
            &Tweaks {
                omit: vec![name],
                ..Tweaks::default()
            },
        );
        assert_eq!(message, format!("missing required header: {name}"));
    }
    // Without Content-Length the body's bytes arrive as the next request on
    // the connection, which does not parse: logged too, with no method.
    let log: Vec<_> = sandbox
        .requests()
        .into_iter()
        .filter(|r| !r.method.is_empty())
        .collect();
    assert_eq!(log.len(), cases.len() + 5);
    assert!(
        log.iter()
            .all(|r| r.status == 401 && r.auth_failure.is_some())
    );
    // Only the api-key failures had a verified signature.
    assert_eq!(log.iter().filter(|r| r.signature_verified).count(), 2);
    Ok(())
}

#[test]
fn a_hex_digest_is_not_a_signature() -> std::io::Result<()> {
    let sandbox = Sandbox::start()?;
    let creds = sandbox.credentials().clone();
    let body = br#"{"per_page":3}"#;
    let target = full_path(&sandbox, INTENTS);
    let x_date = imf_date(0);
    let good = authorization(
        &creds.hmac_username,
        &creds.hmac_secret,
        &format!("POST {target} HTTP/1.1"),
        &x_date,
        body,
    );
    // Same signature re-encoded as Base64 of its hex form.
    let (prefix, sig) = good.split_once("signature=\"").unwrap_or_default();
    let raw = base64_decode(sig.trim_end_matches('"'));
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let wrong = format!("{prefix}signature=\"{}\"", base64_encode(hex.as_bytes()));
    let message = rejected(
        &sandbox,
        &Tweaks {
            authorization: Some(wrong),
            x_date: Some(x_date),
            ..Tweaks::default()
        },
    );
    assert_eq!(message, "hmac signature does not match the request");
    Ok(())
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn the_api_key_may_travel_in_the_body() -> std::io::Result<()> {
    let sandbox = Sandbox::start()?;
    let key = sandbox.credentials().api_key.clone();
    let no_header = Tweaks {
        api_key_header: Some(None),
        ..Tweaks::default()
    };
    let ok = post_with(
        &sandbox,
        INTENTS,
        &json!({"api_key": key, "per_page": 2}),
        &no_header,
    );
    assert_eq!(ok.status, 200);
    assert_eq!(ok.items().len(), 2);
    let bad = post_with(
        &sandbox,
        INTENTS,
        &json!({"api_key": "nope", "per_page": 2}),
        &no_header,
    );
    assert_eq!(
        (bad.status, bad.message().as_str()),
        (401, "api key invalid")
    );
    Ok(())
}

#[test]
fn a_body_shorter_than_its_content_length_is_a_length_mismatch() -> std::io::Result<()> {
    let sandbox = Sandbox::start()?;
    let body = br#"{"per_page":3}"#;
    let mut raw = raw_request(&sandbox, INTENTS, body, &Tweaks::default());
    // Announce five more bytes than are sent, then half-close.
    let announced = format!("Content-Length: {}\r\n", body.len());
    let inflated = format!("Content-Length: {}\r\n", body.len() + 5);
    let text = String::from_utf8_lossy(&raw).replace(&announced, &inflated);
    raw = text.into_bytes();
    let mut stream = connect(&sandbox);
    stream.write_all(&raw)?;
    stream.shutdown(Shutdown::Write)?;
    let response = read_response(&mut stream)?;
    assert_eq!(response.status, 401);
    assert!(
        response
            .message()
            .starts_with("content-length does not match the body received"),
        "{}",
        response.message()
    );
    assert_eq!(response.header("connection"), Some("close"));
    Ok(())
}

#[test]
fn the_sandbox_clock_can_be_moved() -> std::io::Result<()> {
    let sandbox = Sandbox::start()?;
    sandbox.set_clock_offset(3_600);
    let message = rejected(&sandbox, &Tweaks::default());
    assert_eq!(message, "x-date is outside the allowed clock skew of 300 s");
    let ahead = post_with(
        &sandbox,
        INTENTS,
        &intents_body(),
        &Tweaks {
            date_offset_secs: 3_600,
            ..Tweaks::default()
        },
    );
    assert_eq!(ahead.status, 200);
    let server_date = ahead
        .header("date")
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let skew = server_date
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    assert!(skew > Duration::from_secs(3_500), "{skew:?}");
    Ok(())
}

#[test]
fn unknown_paths_and_methods() -> std::io::Result<()> {
    let sandbox = Sandbox::start()?;
    let missing = post(&sandbox, "/payment-intent/program/none", &json!({}));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["status"], "error");
    let get = post_with(
        &sandbox,
        INTENTS,
        &json!({}),
        &Tweaks {
            method: Some("PUT"),
            ..Tweaks::default()
        },
    );
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
    Ok(())
}

#[test]
fn verify_request_is_callable_directly() {
    let creds = SandboxCredentials {
        api_key: "k".into(),
        hmac_username: "u".into(),
        hmac_secret: "s".into(),
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_579_291_169);
    let x_date = "Fri, 17 Jan 2020 19:59:29 GMT";
    let body = br#"{"per_page":5}"#;
    let target = "/api/v4/payment-intent/program/all";
    let auth = authorization("u", "s", &format!("POST {target} HTTP/1.1"), x_date, body);
    let mut headers = vec![
        ("x-date", x_date.to_owned()),
        ("content-type", "application/json".to_owned()),
        ("content-sha512", content_sha512(body)),
        ("content-length", body.len().to_string()),
        ("authorization", auth),
        ("api_key", "k".to_owned()),
    ];
    assert_eq!(
        verify_request("POST", target, "HTTP/1.1", &headers, body, now, &creds),
        Ok(())
    );
    // The version on the wire is part of the request line.
    assert_eq!(
        verify_request("POST", target, "HTTP/1.0", &headers, body, now, &creds),
        Err(AuthError::SignatureMismatch)
    );
    headers[3].1 = "999".into();
    assert!(matches!(
        verify_request("POST", target, "HTTP/1.1", &headers, body, now, &creds),
        Err(AuthError::ContentLengthMismatch { .. })
    ));
}

#[test]
fn the_rate_limiter_answers_like_kong() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        rate_limit: Some(2),
        faults: vec![FaultRule::new(FaultKind::ExtraFields)],
        ..SandboxConfig::default()
    })
    .expect("start");
    let started = Instant::now();
    let responses: Vec<_> = (0..12)
        .map(|_| post(&sandbox, INTENTS, &intents_body()))
        .collect();
    let elapsed = started.elapsed();
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    // The first two are always admitted; at most two per second after that.
    assert_eq!(statuses[..2], [200, 200]);
    let admitted = statuses.iter().filter(|s| **s == 200).count() as u64;
    assert!(
        admitted <= 2 * (elapsed.as_secs() + 1),
        "{statuses:?} in {elapsed:?}"
    );
    if elapsed < Duration::from_secs(1) {
        assert_eq!(admitted, 2, "{statuses:?}");
    }
    let log = sandbox.requests();
    assert_eq!(log.iter().map(|r| r.status).collect::<Vec<_>>(), statuses);
    for (response, record) in responses.iter().zip(&log).filter(|(r, _)| r.status == 429) {
        assert_eq!(
            String::from_utf8_lossy(&response.body),
            r#"{"message":"API rate limit exceeded"}"#
        );
        assert_eq!(response.header("retry-after"), Some("1"));
        assert_eq!(response.header("x-ratelimit-limit-second"), Some("2"));
        assert!(response.header("x-kong-request-id").is_some());
        // Authenticated, refused before any fault was consulted.
        assert!(record.signature_verified && record.faults.is_empty());
    }
    // Authentication comes first: a bad signature is a 401, never a 429.
    let unsigned = post_with(
        &sandbox,
        INTENTS,
        &intents_body(),
        &Tweaks {
            secret: Some("wrong".into()),
            ..Tweaks::default()
        },
    );
    assert_eq!(unsigned.status, 401);
    // Once a second has passed since the last admission, requests pass again.
    std::thread::sleep(Duration::from_millis(1_100));
    assert_eq!(post(&sandbox, INTENTS, &intents_body()).status, 200);
}

#[test]
fn without_a_rate_limit_nothing_is_limited() {
    let sandbox = Sandbox::start().expect("start");
    for _ in 0..20 {
        assert_eq!(post(&sandbox, INTENTS, &intents_body()).status, 200);
    }
}
