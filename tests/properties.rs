//! Property tests pitting the client's signer (`ingo_banking::signing`)
//! against the sandbox's independent verifier (`ingo_sandbox`).
//!
//! * Whatever the method, path, body bytes, date and credentials, the
//!   headers `sign` produces verify.
//! * Changing any one byte of the body, any one character of a signed header
//!   value (or of the request line), or the secret the verifier holds, makes
//!   the verifier reject.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ingo_banking::Credentials;
use ingo_banking::signing::{self, SignedHeaders};
use ingo_sandbox::{AuthError, SandboxCredentials, verify_signature};
use proptest::prelude::*;

const VERSION: &str = "HTTP/1.1";
/// 2000-01-01T00:00:00Z.
const FROM_2000: u64 = 946_684_800;
/// 2100-01-01T00:00:00Z.
const TO_2100: u64 = 4_102_444_800;

/// One request to sign, with the credentials to sign it with.
#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    body: Vec<u8>,
    secs: u64,
    username: String,
    secret: String,
}

impl Case {
    fn date(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.secs)
    }

    fn credentials(&self) -> Credentials {
        Credentials::new("prop-api-key", self.username.as_str(), self.secret.as_str())
            .expect("the strategies only produce valid credentials")
    }

    fn sign(&self) -> SignedHeaders {
        signing::sign(
            self.method,
            &self.path,
            &self.body,
            self.date(),
            &self.credentials(),
        )
        .expect("dates from 2000 to 2100 are signable")
    }

    fn verifier(&self, secret: &str) -> SandboxCredentials {
        SandboxCredentials {
            api_key: "prop-api-key".to_owned(),
            hmac_username: self.username.clone(),
            hmac_secret: secret.to_owned(),
        }
    }

    /// Runs the sandbox's verifier over (possibly tampered) parts of this case.
    fn verify(
        &self,
        method: &str,
        target: &str,
        headers: &[(&'static str, String)],
        body: &[u8],
        secret: &str,
    ) -> Result<(), AuthError> {
        verify_signature(
            method,
            target,
            VERSION,
            headers,
            body,
            self.date(),
            &self.verifier(secret),
        )
    }
}

/// The signed headers as the (name, value) pairs that travel on the wire.
fn wire(headers: &SignedHeaders) -> Vec<(&'static str, String)> {
    vec![
        ("x-date", headers.x_date.clone()),
        ("content-type", headers.content_type.to_owned()),
        ("content-sha512", headers.content_sha512.clone()),
        ("content-length", headers.content_length.clone()),
        ("authorization", headers.authorization.clone()),
    ]
}

/// A different printable ASCII character (0x21..=0x7E) than `c`, picked by
/// `delta` (1..=93): a value that is still a legal header character.
fn other_visible(c: u8, delta: u8) -> u8 {
    assert!(
        (b'!'..=b'~').contains(&c) || c == b' ',
        "unexpected header byte {c:#x}"
    );
    let base = c.max(b'!') - b'!';
    let shifted = b'!' + (base + delta) % 94;
    if shifted == c {
        b'!' + (base + delta + 1) % 94
    } else {
        shifted
    }
}

/// `value` with the character at `index % len` replaced by another visible one.
fn flip_char(value: &str, index: usize, delta: u8) -> String {
    let mut bytes = value.as_bytes().to_vec();
    let at = index % bytes.len();
    bytes[at] = other_visible(bytes[at], delta);
    let flipped = String::from_utf8(bytes).expect("header values are ASCII");
    assert_ne!(flipped, value);
    flipped
}

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["POST", "GET", "PUT", "DELETE", "PATCH"])
}

fn path() -> impl Strategy<Value = String> {
    (
        prop::collection::vec("[A-Za-z0-9._~-]{1,16}", 1..6),
        prop::option::of("[A-Za-z0-9._~=&%-]{0,40}"),
    )
        .prop_map(|(segments, query)| {
            let mut path = format!("/api/v4/{}", segments.join("/"));
            if let Some(query) = query {
                path.push('?');
                path.push_str(&query);
            }
            path
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..4096)
}

/// Printable ASCII without `"` or `\`, not blank (what `Credentials::new` takes).
fn username() -> impl Strategy<Value = String> {
    "[!#-\\[\\]-~][ !#-\\[\\]-~]{0,31}"
}

/// Any UTF-8 (control characters, NULs, astral planes), not blank.
fn secret() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 1..80)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("Credentials::new rejects a blank secret", |s| {
            !s.trim().is_empty()
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        method(),
        path(),
        body(),
        FROM_2000..=TO_2100,
        username(),
        secret(),
    )
        .prop_map(|(method, path, body, secs, username, secret)| Case {
            method,
            path,
            body,
            secs,
            username,
            secret,
        })
}

/// Two HMAC keys no longer than the SHA-512 block (128 bytes) that differ only
/// by trailing NUL bytes are the same key once HMAC zero-pads them, so such a
/// "different" secret verifies by construction of HMAC. Those pairs are not
/// counterexamples and are excluded.
fn hmac_equivalent(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let strip = |k: &[u8]| -> Vec<u8> {
        let end = k.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
        k[..end].to_vec()
    };
    a.len() <= 128 && b.len() <= 128 && strip(a) == strip(b)
}

fn index_of(headers: &[(&'static str, String)], name: &str) -> usize {
    headers
        .iter()
        .position(|(n, _)| *n == name)
        .expect("header present")
}

fn tamper_header(case: &Case, name: &str, index: usize, delta: u8) -> Result<(), AuthError> {
    let mut headers = wire(&case.sign());
    let slot = index_of(&headers, name);
    headers[slot].1 = flip_char(&headers[slot].1, index, delta);
    case.verify(case.method, &case.path, &headers, &case.body, &case.secret)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn signed_requests_verify(case in case()) {
        let headers = case.sign();
        prop_assert_eq!(headers.content_length.clone(), case.body.len().to_string());
        let result = case.verify(case.method, &case.path, &wire(&headers), &case.body, &case.secret);
        prop_assert_eq!(result, Ok(()), "{:?}", case);
    }

    #[test]
    fn a_flipped_body_byte_is_rejected(
        case in case().prop_filter("needs a body", |c| !c.body.is_empty()),
        index in any::<usize>(),
        mask in 1u8..=255,
    ) {
        let headers = wire(&case.sign());
        let mut body = case.body.clone();
        let at = index % body.len();
        body[at] ^= mask;
        let result = case.verify(case.method, &case.path, &headers, &body, &case.secret);
        prop_assert_eq!(result, Err(AuthError::BodyDigestMismatch));
    }

    #[test]
    fn a_flipped_x_date_is_rejected(case in case(), index in any::<usize>(), delta in 1u8..94) {
        // Unparseable, non-canonical, out of the ±300 s window, or a valid
        // nearby date the signature was not made over: all rejections.
        let result = tamper_header(&case, "x-date", index, delta);
        prop_assert!(result.is_err(), "accepted a tampered x-date: {:?}", case);
    }

    #[test]
    fn a_flipped_content_type_is_rejected(case in case(), index in any::<usize>(), delta in 1u8..94) {
        let result = tamper_header(&case, "content-type", index, delta);
        prop_assert_eq!(result, Err(AuthError::SignatureMismatch));
    }

    #[test]
    fn a_flipped_content_sha512_is_rejected(case in case(), index in any::<usize>(), delta in 1u8..94) {
        let result = tamper_header(&case, "content-sha512", index, delta);
        prop_assert_eq!(result, Err(AuthError::BodyDigestMismatch));
    }

    #[test]
    fn a_flipped_content_length_is_rejected(case in case(), index in any::<usize>(), delta in 1u8..94) {
        let result = tamper_header(&case, "content-length", index, delta);
        prop_assert!(
            matches!(result, Err(AuthError::ContentLengthMismatch { .. })),
            "{:?}", result
        );
    }

    #[test]
    fn a_flipped_signature_character_is_rejected(
        case in case(),
        index in any::<usize>(),
        delta in 1u8..94,
    ) {
        let mut headers = wire(&case.sign());
        let slot = index_of(&headers, "authorization");
        let authorization = headers[slot].1.clone();
        let start = authorization.rfind("signature=\"").expect("signature parameter") + "signature=\"".len();
        let end = authorization.len() - 1; // the closing quote
        let signature = &authorization[start..end];
        prop_assert_eq!(signature.len(), 88); // Base64 of 64 bytes, padded
        let tampered = format!("{}{}\"", &authorization[..start], flip_char(signature, index, delta));
        headers[slot].1 = tampered;
        let result = case.verify(case.method, &case.path, &headers, &case.body, &case.secret);
        // A `"` ends the parameter early (malformed); anything else is a mismatch.
        prop_assert!(
            matches!(
                result,
                Err(AuthError::SignatureMismatch) | Err(AuthError::MalformedAuthorization(_))
            ),
            "{:?}", result
        );
    }

    #[test]
    fn a_flipped_request_line_is_rejected(
        case in case(),
        index in any::<usize>(),
        delta in 1u8..94,
        in_method in any::<bool>(),
    ) {
        let headers = wire(&case.sign());
        let (method, target) = if in_method {
            (flip_char(case.method, index, delta), case.path.clone())
        } else {
            (case.method.to_owned(), flip_char(&case.path, index, delta))
        };
        let result = case.verify(&method, &target, &headers, &case.body, &case.secret);
        prop_assert_eq!(result, Err(AuthError::SignatureMismatch));
    }

    #[test]
    fn a_different_secret_is_rejected(
        case in case(),
        wrong in secret(),
    ) {
        prop_assume!(!hmac_equivalent(&wrong, &case.secret));
        let headers = wire(&case.sign());
        let result = case.verify(case.method, &case.path, &headers, &case.body, &wrong);
        prop_assert_eq!(result, Err(AuthError::SignatureMismatch));
    }
}

/// The exclusion in `a_different_secret_is_rejected` is real: HMAC zero-pads
/// short keys, so a secret and the same secret plus trailing NULs sign alike.
#[test]
fn trailing_nul_secrets_are_hmac_equivalent() {
    let case = Case {
        method: "POST",
        path: "/api/v4/payment-intent/program/all".to_owned(),
        body: b"{}".to_vec(),
        secs: 1_579_291_169,
        username: "user".to_owned(),
        secret: "secret".to_owned(),
    };
    let headers = wire(&case.sign());
    assert!(hmac_equivalent("secret", "secret\0\0"));
    assert_eq!(
        case.verify(case.method, &case.path, &headers, &case.body, "secret\0\0"),
        Ok(())
    );
    assert_eq!(
        case.verify(case.method, &case.path, &headers, &case.body, "secreT"),
        Err(AuthError::SignatureMismatch)
    );
}

/// Found by `fuzz/fuzz_targets/signer.rs` (input in
/// `fuzz/known-crashes/signer-date-after-year-9999`): `sign` used to panic in
/// `httpdate::fmt_http_date` for dates an IMF-fixdate cannot carry, and the
/// skew correction could adopt such a date from a server's `Date` header.
/// Now `sign` returns an error for them.
#[test]
fn sign_refuses_dates_an_http_date_cannot_carry_without_panicking() {
    let credentials = Credentials::new("key", "user", "secret").unwrap();
    for date in [
        UNIX_EPOCH + Duration::from_secs(253_402_300_800), // 10000-01-01T00:00:00Z
        UNIX_EPOCH + Duration::from_secs(14_136_658_113_929_332), // the fuzzer's input
        UNIX_EPOCH - Duration::from_secs(1),
    ] {
        let signed = signing::sign("POST", "/api/v4/x", b"{}", date, &credentials);
        assert_eq!(signed, Err(signing::DateOutOfRange(date)));
    }
    let last = UNIX_EPOCH + Duration::from_secs(253_402_300_799); // 9999-12-31T23:59:59Z
    let signed = signing::sign("POST", "/api/v4/x", b"{}", last, &credentials).unwrap();
    assert_eq!(signed.x_date, "Fri, 31 Dec 9999 23:59:59 GMT");
}
