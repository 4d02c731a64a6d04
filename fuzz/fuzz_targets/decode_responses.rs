//! Any bytes, decoded as each operation's response type, never panic; what
//! decodes re-encodes, decodes again, and comes back equal.
#![no_main]

use std::fmt::Debug;

use ingo_banking::types::{ErrorEnvelope, ListContactsResponse, ListPaymentIntentsResponse};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// From bytes (as the HTTP layer decodes) and via `serde_json::Value`.
fn check<T: DeserializeOwned + Serialize + PartialEq + Debug>(data: &[u8], what: &str) {
    if let Ok(decoded) = serde_json::from_slice::<T>(data) {
        round_trip(&decoded, what);
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data)
        && let Ok(decoded) = serde_json::from_value::<T>(value)
    {
        round_trip(&decoded, what);
    }
}

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + Debug>(decoded: &T, what: &str) {
    let encoded = serde_json::to_vec(decoded)
        .unwrap_or_else(|e| panic!("{what}: a decoded value does not re-encode: {e}; {decoded:?}"));
    let again: T = serde_json::from_slice(&encoded).unwrap_or_else(|e| {
        panic!(
            "{what}: its own encoding does not decode: {e}; encoding {}",
            String::from_utf8_lossy(&encoded)
        )
    });
    assert_eq!(&again, decoded, "{what}: the round trip changed the value");
}

fuzz_target!(|data: &[u8]| {
    check::<ListContactsResponse>(data, "ListContactsResponse");
    check::<ListPaymentIntentsResponse>(data, "ListPaymentIntentsResponse");
    check::<ErrorEnvelope>(data, "ErrorEnvelope");
});
