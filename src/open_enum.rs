//! Enums of response data that accept values the spec does not list.
//!
//! A payments API adds states over time; a client that fails to decode a whole
//! page because of one new status value breaks in production. The generator
//! emits every response enum through [`open_enum!`], which keeps an unlisted
//! value as `Unknown(String)` instead of failing, and says so once in the
//! logs (as async-stripe does), so the value does not go unnoticed.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

/// The most distinct unlisted values logged; past it, one last warning.
const MAX_LOGGED: usize = 1000;
/// The longest unlisted value logged (a server sends what it likes).
const MAX_VALUE_BYTES: usize = 64;

/// Log `value` of the enum `name`, which the spec does not list: one warning
/// per enum and value, for the first [`MAX_LOGGED`] of them.
pub(crate) fn unlisted(name: &'static str, value: &str) {
    type Seen = HashSet<(&'static str, Box<str>)>;
    static SEEN: OnceLock<Mutex<Seen>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
    let value = crate::error::excerpt(value.as_bytes(), MAX_VALUE_BYTES);
    if seen.len() > MAX_LOGGED || seen.contains(&(name, value.as_str().into())) {
        return;
    }
    if seen.len() == MAX_LOGGED {
        seen.insert(("", "".into()));
        tracing::warn!(
            "{MAX_LOGGED} values the spec does not list were logged; further ones are decoded as `Unknown` silently"
        );
        return;
    }
    tracing::warn!(
        r#enum = name,
        value = value.as_str(),
        "a value the spec does not list, decoded as `Unknown`; a newer spec may name it"
    );
    seen.insert((name, value.into()));
}

macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $value:literal),* $(,)? }) => {
        $(#[$meta])*
        ///
        /// Open: a value the spec does not list decodes as `Unknown` and
        /// serializes back unchanged.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[doc = concat!("`", $value, "`")] $variant,)*
            /// A value this version of the spec does not list, kept as sent.
            Unknown(::std::string::String),
        }

        impl $name {
            /// The values the spec lists.
            pub const KNOWN: &'static [&'static str] = &[$($value),*];

            /// The value as the API sends it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(other) => other,
                }
            }

            /// Whether the spec lists this value.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                let decoded = Self::from(value.as_ref());
                if let Self::Unknown(other) = &decoded {
                    $crate::open_enum::unlisted(stringify!($name), other);
                }
                Ok(decoded)
            }
        }

        impl $crate::operation::AsText for $name {
            fn as_text(&self) -> &str {
                self.as_str()
            }
        }
    };
}

pub(crate) use open_enum;
