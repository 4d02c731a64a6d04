//! Writes: the objects they create, and their answers by idempotency key.
//!
//! As Ingo documents `idempotent_key`: the same key (for the same operation)
//! returns the first answer, byte for byte; a new key creates a new object.
//! Created objects are listed first, newest first, by every list operation
//! whose item schema is the write's object schema. At most
//! [`MAX_STORED_WRITES`] objects are kept; past that a write is refused
//! (507) until the sandbox restarts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::reply::Failure;

/// How many created objects (and answers) one sandbox keeps.
pub const MAX_STORED_WRITES: usize = 10_000;

#[derive(Debug, Default)]
struct Inner {
    /// (operation index, idempotency key) → the first answer's body.
    answers: HashMap<(usize, String), Arc<Vec<u8>>>,
    /// (write operation index, object), oldest first.
    created: Vec<(usize, Value)>,
}

/// The created objects of every write operation.
#[derive(Debug, Default)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
}

impl Store {
    /// The answer to write `op` with `key`: the stored one if the key was seen,
    /// else `create(n)`'s (`n` counts the objects created so far), stored.
    pub fn write(
        &self,
        op: usize,
        key: Option<&str>,
        create: impl FnOnce(u64) -> Result<(Value, Vec<u8>), Failure>,
    ) -> Result<Arc<Vec<u8>>, Failure> {
        // One lock over look-up and creation: two requests with one key create one object.
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let key = key.filter(|k| !k.is_empty()).map(|k| (op, k.to_owned()));
        if let Some(answer) = key.as_ref().and_then(|k| inner.answers.get(k)) {
            return Ok(Arc::clone(answer));
        }
        if inner.created.len() >= MAX_STORED_WRITES {
            return Err(Failure::Full(format!(
                "the sandbox keeps at most {MAX_STORED_WRITES} created objects and has that many; restart it to write more"
            )));
        }
        let (object, body) = create(inner.created.len() as u64)?;
        let body = Arc::new(body);
        inner.created.push((op, object));
        if let Some(key) = key {
            inner.answers.insert(key, Arc::clone(&body));
        }
        Ok(body)
    }

    /// The objects created by any of `writes`, newest first.
    pub fn created_by(&self, writes: &[usize]) -> Vec<Value> {
        if writes.is_empty() {
            return Vec::new();
        }
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .created
            .iter()
            .rev()
            .filter(|(op, _)| writes.contains(op))
            .map(|(_, object)| object.clone())
            .collect()
    }
}

/// `object` with the request's fields that it also has, each only if it fits
/// the object's schema for that field (`fits`).
pub(crate) fn with_request_fields(
    mut object: Value,
    request: &Map<String, Value>,
    skip: &[String],
    fits: impl Fn(&str, &Value) -> bool,
) -> Value {
    if let Value::Object(map) = &mut object {
        for (name, value) in request {
            if !skip.contains(name) && fits(name, value) {
                map.insert(name.clone(), value.clone());
            }
        }
    }
    object
}
