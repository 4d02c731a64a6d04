//! Any bytes (as a lossy UTF-8 string) into the sandbox gateway's
//! `Authorization` parser: it never panics, and what it accepts is exactly
//! the documented shape, with no `"` inside any parameter.
#![no_main]

use ingo_sandbox::{ALGORITHM, SIGNED_HEADERS, parse_authorization};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    let Ok(parsed) = parse_authorization(&value) else {
        return;
    };
    for (name, field) in [
        ("username", &parsed.username),
        ("algorithm", &parsed.algorithm),
        ("headers", &parsed.headers),
        ("signature", &parsed.signature),
    ] {
        // The scheme has no escaping, so any `"` would be an unescaped one.
        assert!(!field.contains('"'), "{name} contains a quote: {field:?}");
    }
    assert!(!parsed.username.is_empty() && !parsed.signature.is_empty());
    assert_eq!(parsed.algorithm, ALGORITHM);
    assert_eq!(parsed.headers, SIGNED_HEADERS);
    // Accepted means canonical: re-rendering gives back the input exactly.
    let rendered = format!(
        "hmac username=\"{}\", algorithm=\"{}\", headers=\"{}\", signature=\"{}\"",
        parsed.username, parsed.algorithm, parsed.headers, parsed.signature
    );
    assert_eq!(rendered, value, "accepted a non-canonical header");
});
