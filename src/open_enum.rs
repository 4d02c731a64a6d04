//! Enums of response data that accept values the spec does not list.
//!
//! A payments API adds states over time; a client that fails to decode a whole
//! page because of one new status value breaks in production. The generator
//! emits every response enum through [`open_enum!`], which keeps an unlisted
//! value as `Unknown(String)` instead of failing.

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
                Ok(Self::from(value.as_ref()))
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
