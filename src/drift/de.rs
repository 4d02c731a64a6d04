//! The observer's one pass: a `Deserializer` around serde_json's that
//! follows the response's [`Node`]s while the generated types decode it, as
//! `serde_ignored` does. A value with nothing to check below it is handed to
//! serde_json's own deserializer untouched; the wrapper sees:
//!
//! - every key of a checked object (declared, allowed, or not), and its end
//!   (which required keys never came);
//! - a value the type ignores (`deserialize_ignored_any`) under a key the spec
//!   does not declare: skipped as serde_json would, and told its JSON type;
//! - the strings and numbers at a node with an enum, a format or a pattern.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::rules::{self, Node};
use super::{DriftKind, Findings, JsonType, MAX_ENTRIES};
use crate::validate::Format;

/// The deserializer of one value at `node`. `undeclared` is its object and
/// key when the spec does not declare the key (then only an ignored value is noted).
pub(crate) struct Tracked<'f, 'de, D> {
    pub de: D,
    pub node: &'static Node,
    pub undeclared: Option<(&'static Node, Cow<'de, str>)>,
    pub pass: &'f mut Pass<'de>,
}

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.de.$method($($arg,)* Wrap { visitor, node: self.node, pass: self.pass })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Tracked<'_, 'de, D> {
    type Error = D::Error;

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let Some((object, key)) = self.undeclared else {
            return self.de.deserialize_ignored_any(visitor);
        };
        // Skipped as serde_json skips an ignored value (no number parsed,
        // no depth added), kept as the text it was, to be told its type.
        let raw = <&serde_json::value::RawValue>::deserialize(self.de)?;
        self.pass.undeclared(object, key, json_type(raw.get()));
        visitor.visit_unit()
    }

    forward_deserialize! {
        deserialize_any(); deserialize_bool(); deserialize_i8(); deserialize_i16();
        deserialize_i32(); deserialize_i64(); deserialize_i128(); deserialize_u8();
        deserialize_u16(); deserialize_u32(); deserialize_u64(); deserialize_u128();
        deserialize_f32(); deserialize_f64(); deserialize_char(); deserialize_str();
        deserialize_string(); deserialize_bytes(); deserialize_byte_buf(); deserialize_option();
        deserialize_unit(); deserialize_seq(); deserialize_map(); deserialize_identifier();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// A seed whose value is deserialized through [`Tracked`].
struct TrackedSeed<'f, 'de, S> {
    seed: S,
    node: &'static Node,
    undeclared: Option<(&'static Node, Cow<'de, str>)>,
    pass: &'f mut Pass<'de>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for TrackedSeed<'_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Tracked {
            de,
            node: self.node,
            undeclared: self.undeclared,
            pass: self.pass,
        })
    }
}

/// The type's visitor, seeing the value first.
struct Wrap<'f, 'de, V> {
    visitor: V,
    node: &'static Node,
    pass: &'f mut Pass<'de>,
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.visitor.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    forward_visit! {
        visit_bool(bool); visit_i8(i8); visit_i16(i16); visit_i32(i32); visit_i128(i128);
        visit_u8(u8); visit_u16(u16); visit_u32(u32); visit_u128(u128); visit_f32(f32);
        visit_char(char); visit_bytes(&[u8]); visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        if self.node.format == Some(Format::Int32) && i32::try_from(v).is_err() {
            self.pass.findings.format_violation(self.node);
        }
        self.visitor.visit_i64(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        let fits = match self.node.format {
            Some(Format::Int32) => i32::try_from(v).is_ok(),
            Some(Format::Int64) => i64::try_from(v).is_ok(),
            _ => true,
        };
        if !fits {
            self.pass.findings.format_violation(self.node);
        }
        self.visitor.visit_u64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        if matches!(self.node.format, Some(Format::Int32 | Format::Int64)) {
            self.pass.findings.format_violation(self.node);
        }
        self.visitor.visit_f64(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.pass.findings.check_str(self.node, v);
        self.pass.findings.check_pattern(self.node, v);
        self.visitor.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.pass.findings.check_str(self.node, v);
        if self.node.pattern.is_some() {
            self.pass.patterns.push((self.node, v));
        }
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.pass.findings.check_str(self.node, &v);
        self.pass.findings.check_pattern(self.node, &v);
        self.visitor.visit_string(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        let (visitor, tracked) = self.around(de);
        visitor.visit_some(tracked)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        let (visitor, tracked) = self.around(de);
        visitor.visit_newtype_struct(tracked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        match self.node.items {
            Some(items) => self.visitor.visit_seq(Array {
                seq,
                items,
                pass: self.pass,
            }),
            None => self.visitor.visit_seq(seq),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        if self.node.properties.is_empty() {
            return self.visitor.visit_map(map);
        }
        self.visitor.visit_map(Object {
            map,
            node: self.node,
            pass: self.pass,
            present: 0,
            next: 0,
            pending: Pending::Unchecked,
        })
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(data)
    }
}

impl<'f, 'de, V> Wrap<'f, 'de, V> {
    /// The type's visitor, and the value it is given (`Some`'s, a newtype's)
    /// tracked at this node too.
    fn around<D>(self, de: D) -> (V, Tracked<'f, 'de, D>) {
        let tracked = Tracked {
            de,
            node: self.node,
            undeclared: None,
            pass: self.pass,
        };
        (self.visitor, tracked)
    }
}

/// An array whose items have something to check.
struct Array<'f, 'de, A> {
    seq: A,
    items: &'static Node,
    pass: &'f mut Pass<'de>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Array<'_, 'de, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.seq.next_element_seed(TrackedSeed {
            seed,
            node: self.items,
            undeclared: None,
            pass: &mut *self.pass,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// What the key just read says of the value that follows.
enum Pending<'de> {
    /// A declared property, and what to check in its value.
    Declared(&'static Node),
    /// A key the spec does not declare.
    Undeclared(Cow<'de, str>),
    /// Nothing to check: the value goes to serde_json as is.
    Unchecked,
}

/// An object with declared properties.
struct Object<'f, 'de, A> {
    map: A,
    node: &'static Node,
    pass: &'f mut Pass<'de>,
    /// Which of the first 64 properties came (a bit each, in `properties` order).
    present: u64,
    /// The property the next key is tried as first.
    next: usize,
    pending: Pending<'de>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Object<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.map.next_key_seed(KeySeed)? else {
            self.note_missing();
            return Ok(None);
        };
        let (properties, name): (_, &str) = (self.node.properties, &key);
        // Servers send an object's keys in one order, mostly the spec's:
        // try the property after the last one first.
        let found = match properties.get(self.next) {
            Some(p) if p.name == name => Some((self.next, p)),
            _ => properties.iter().enumerate().find(|(_, p)| p.name == name),
        };
        self.pending = match found {
            Some((i, property)) => {
                self.next = i + 1;
                self.present |= 1u64.checked_shl(i as u32).unwrap_or(0);
                property.node.map_or(Pending::Unchecked, Pending::Declared)
            }
            None if self.node.extras => Pending::Unchecked,
            None => Pending::Undeclared(key.clone()),
        };
        match key {
            Cow::Borrowed(key) => seed.deserialize(BorrowedStrDeserializer::new(key)),
            Cow::Owned(key) => seed.deserialize(StringDeserializer::new(key)),
        }
        .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let (node, undeclared) = match std::mem::replace(&mut self.pending, Pending::Unchecked) {
            Pending::Unchecked => return self.map.next_value_seed(seed),
            Pending::Declared(node) => (node, None),
            Pending::Undeclared(key) => (&Node::NONE, Some((self.node, key))),
        };
        self.map.next_value_seed(TrackedSeed {
            seed,
            node,
            undeclared,
            pass: &mut *self.pass,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

impl<A> Object<'_, '_, A> {
    /// At the object's end: the required properties that never came.
    fn note_missing(&mut self) {
        for (i, property) in self.node.properties.iter().enumerate().take(64) {
            if property.required && self.present & (1u64 << i) == 0 {
                let path = rules::child(self.node.path, property.name);
                self.pass
                    .findings
                    .note(path.into(), DriftKind::MissingRequired);
            }
        }
    }
}

/// Reads a key, borrowed from the body when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Cow<'de, str>, D::Error> {
        de.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// The JSON type of a value, from its text.
fn json_type(raw: &str) -> JsonType {
    match raw.trim_start().as_bytes().first() {
        Some(b'"') => JsonType::String,
        Some(b'{') => JsonType::Object,
        Some(b'[') => JsonType::Array,
        Some(b't' | b'f') => JsonType::Boolean,
        Some(b'n') => JsonType::Null,
        _ if raw.contains(['.', 'e', 'E']) => JsonType::Number,
        _ => JsonType::Integer,
    }
}

/// One pass over a body: what it showed so far, with what is kept borrowed
/// from the body until the end.
#[derive(Debug, Default)]
pub(crate) struct Pass<'de> {
    pub findings: Findings,
    /// Strings whose pattern is checked once the body is decoded, in one
    /// loop: matching between the decoder's allocations costs three times as much.
    patterns: Vec<(&'static Node, &'de str)>,
    /// Undeclared keys, by object path, key and type: counted without a path
    /// built for each.
    undeclared: HashMap<(&'static str, Cow<'de, str>, JsonType), u64>,
}

impl<'de> Pass<'de> {
    fn undeclared(&mut self, object: &'static Node, key: Cow<'de, str>, json_type: JsonType) {
        let full = self.undeclared.len() >= MAX_ENTRIES;
        match self
            .undeclared
            .get_mut(&(object.path, key.clone(), json_type))
        {
            Some(count) => *count = count.saturating_add(1),
            None if full => self.findings.dropped = self.findings.dropped.saturating_add(1),
            None => {
                self.undeclared.insert((object.path, key, json_type), 1);
            }
        }
    }

    /// Check the strings whose pattern is left; what the body showed.
    pub fn finish(mut self) -> Findings {
        for (node, s) in std::mem::take(&mut self.patterns) {
            self.findings.check_pattern(node, s);
        }
        for ((object, key, json_type), count) in self.undeclared {
            let json_types = vec![json_type];
            let kind = DriftKind::UndeclaredField { json_types };
            self.findings
                .note_n(rules::child(object, &key).into(), kind, count);
        }
        self.findings
    }
}

impl Findings {
    /// The enum and format of `node`, for the string `s`.
    fn check_str(&mut self, node: &'static Node, s: &str) {
        if !node.one_of.is_empty() && !node.one_of.contains(&s) {
            let value = is_identifier(s).then(|| s.to_owned());
            self.note(node.path.into(), DriftKind::UnlistedEnumValue { value });
        }
        if node.format.is_some_and(|f| !f.accepts(s)) {
            self.format_violation(node);
        }
    }

    fn check_pattern(&mut self, node: &'static Node, s: &str) {
        if let Some(pattern) = node.pattern
            && !rules::matches(pattern, s)
        {
            let pattern = pattern.to_owned();
            self.note(node.path.into(), DriftKind::PatternViolation { pattern });
        }
    }

    fn format_violation(&mut self, node: &'static Node) {
        if let Some(format) = node.format {
            let format = format.name().to_owned();
            self.note(node.path.into(), DriftKind::FormatViolation { format });
        }
    }
}

/// An enum value short and plain enough to be a name, not data: only such a
/// value is kept (`^[A-Za-z0-9_.:-]{1,64}$`).
fn is_identifier(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
}
