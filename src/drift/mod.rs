//! The drift observer (opt-in): where the API's answers have moved past the
//! spec. Each success response is decoded once, through a wrapper of
//! serde_json's deserializer (`de.rs`) that follows the spec's response
//! schemas (`rules.rs`) and notes fields the spec does not declare, values an
//! enum does not list, values that break a format or a pattern, and required
//! fields that never came; undocumented statuses are noted by the call.
//!
//! What is noted is counted per operation, path and kind in one bounded
//! aggregate per client, handed to a callback and rewritten as NDJSON to a
//! file (`log.rs`). Never a field's value (an enum value that looks like a
//! name excepted), never anything of a request.

mod de;
mod log;
mod rules;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, btree_map};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub(crate) use rules::{Node, Property, ResponseRules};

/// The environment variable that turns the drift log on in
/// [`ClientBuilder::from_env`](crate::ClientBuilder::from_env): the file to write.
pub const ENV_DRIFT_LOG: &str = "INGO_DRIFT_LOG";

/// The most distinct entries a client keeps; past it, one `dropped` entry
/// counts the rest (the kept entries' counts go on).
pub const MAX_ENTRIES: usize = 1000;

/// One line of the drift log: something the spec does not describe, seen
/// `count` times in the responses of `operation`, at `path` of the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DriftEntry {
    /// The spec's `operationId` (empty in the `dropped` entry, whose line has none).
    #[serde(default)]
    pub operation: String,
    /// JSON names joined with `.`, `[]` for an array's items, from the
    /// body's root (`data.items[].risk_score`); empty for a status.
    #[serde(default)]
    pub path: String,
    /// What was seen.
    #[serde(flatten)]
    pub kind: DriftKind,
    /// How many times.
    pub count: u64,
    /// When first seen.
    pub first_seen: DateTime<Utc>,
    /// When last seen.
    pub last_seen: DateTime<Utc>,
}

/// What a [`DriftEntry`] saw (its `kind` field, snake_case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DriftKind {
    /// A field the spec does not declare (in an object whose schema declares
    /// `properties` and allows no other keys), with the JSON types it came as.
    UndeclaredField {
        /// Every type seen, in [`JsonType`] order.
        json_types: Vec<JsonType>,
    },
    /// A value the spec's enum does not list: kept only when it looks like a
    /// name (`^[A-Za-z0-9_.:-]{1,64}$`), else `null`.
    UnlistedEnumValue {
        /// The value, or `None` when it did not look like a name.
        value: Option<String>,
    },
    /// A value that breaks the spec's `format` (the value is not kept).
    FormatViolation {
        /// `date-time`, `date`, `uuid`, `email`, `byte`, `int32` or `int64`.
        format: String,
    },
    /// A value that breaks the spec's `pattern` (the value is not kept).
    PatternViolation {
        /// The pattern, as the spec states it.
        pattern: String,
    },
    /// A status the spec does not document for the operation.
    UndocumentedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// A field the spec requires that did not come.
    MissingRequired,
    /// Past [`MAX_ENTRIES`] distinct entries: the sightings not kept.
    Dropped {
        /// The cap on distinct entries.
        limit: usize,
    },
}

/// The JSON type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    /// A string.
    String,
    /// A number with a fraction or an exponent.
    Number,
    /// A number without.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// An object.
    Object,
    /// An array.
    Array,
    /// `null`.
    Null,
}

/// Decode `body` as `R` (what `serde_json::from_slice` does), noting where
/// it departs from the spec's success response of `operation_id`. Findings
/// are kept even when decoding fails.
pub(crate) fn observe<R: DeserializeOwned>(
    operation_id: &str,
    body: &[u8],
) -> (Result<R, serde_json::Error>, Findings) {
    let Some(root) = rules::root(operation_id) else {
        return (serde_json::from_slice(body), Findings::default());
    };
    let mut pass = de::Pass::default();
    let mut json = serde_json::Deserializer::from_slice(body);
    let tracked = de::Tracked {
        de: &mut json,
        node: root,
        undeclared: None,
        pass: &mut pass,
    };
    let decoded = R::deserialize(tracked).and_then(|value| json.end().map(|()| value));
    (decoded, pass.finish())
}

/// What one response showed, counted, before it joins the aggregate.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    found: HashMap<(Cow<'static, str>, DriftKind), u64>,
    /// Sightings past [`MAX_ENTRIES`] distinct ones.
    dropped: u64,
}

impl Findings {
    fn note(&mut self, path: Cow<'static, str>, kind: DriftKind) {
        self.note_n(path, kind, 1);
    }

    fn note_n(&mut self, path: Cow<'static, str>, kind: DriftKind, n: u64) {
        let key = (path, kind);
        if let Some(count) = self.found.get_mut(&key) {
            *count = count.saturating_add(n);
        } else if self.found.len() < MAX_ENTRIES {
            self.found.insert(key, n);
        } else {
            self.dropped = self.dropped.saturating_add(n);
        }
    }

    /// As entries of `operation`, seen at `now`.
    pub(crate) fn into_entries(self, operation: &str, now: DateTime<Utc>) -> Vec<DriftEntry> {
        let entry = |path: String, kind, count| DriftEntry {
            operation: operation.to_string(),
            path,
            kind,
            count,
            first_seen: now,
            last_seen: now,
        };
        let mut out: Vec<DriftEntry> = self
            .found
            .into_iter()
            .map(|((path, kind), count)| entry(path.into_owned(), kind, count))
            .collect();
        out.sort_by(|a, b| (&a.path, &a.kind).cmp(&(&b.path, &b.kind)));
        if self.dropped > 0 {
            out.push(entry(String::new(), dropped_kind(), self.dropped));
        }
        out
    }
}

fn dropped_kind() -> DriftKind {
    DriftKind::Dropped { limit: MAX_ENTRIES }
}

/// A callback given each new or updated entry.
pub(crate) type Callback = Arc<dyn Fn(&DriftEntry) + Send + Sync>;

/// Where the builder was told to send drift.
#[derive(Clone, Default)]
pub(crate) struct Settings {
    pub log: Option<PathBuf>,
    pub callback: Option<Callback>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drift")
            .field("log", &self.log)
            .field("callback", &self.callback.is_some())
            .finish()
    }
}

/// A client's observer: the aggregate, the callback, and the log's writer,
/// which writes the file one last time when the client's last clone is dropped.
pub(crate) struct Observer {
    state: Arc<State>,
    _writer: Option<log::Writer>,
}

/// The aggregate and who hears of it.
struct State {
    entries: Mutex<Entries>,
    callback: Option<Callback>,
}

/// Every distinct entry seen, and the sightings past the cap.
#[derive(Default)]
struct Entries {
    kept: BTreeMap<(String, String, DriftKind), DriftEntry>,
    dropped: Option<DriftEntry>,
    /// Something changed since the log was last written.
    changed: bool,
}

impl Observer {
    /// The observer `settings` ask for, if any.
    pub(crate) fn new(settings: Settings) -> Result<Option<Observer>, crate::Error> {
        if settings.log.is_none() && settings.callback.is_none() {
            return Ok(None);
        }
        let state = Arc::new(State {
            entries: Mutex::default(),
            callback: settings.callback,
        });
        let writer = settings
            .log
            .map(|path| log::Writer::start(path, state.clone()))
            .transpose()?;
        Ok(Some(Observer {
            state,
            _writer: writer,
        }))
    }

    /// Decode `body` as the success response of `operation_id`, noting drift.
    pub(crate) fn decode<R: DeserializeOwned>(
        &self,
        operation_id: &str,
        body: &[u8],
    ) -> Result<R, serde_json::Error> {
        let (decoded, findings) = observe(operation_id, body);
        if !findings.found.is_empty() || findings.dropped > 0 {
            self.record(findings.into_entries(operation_id, Utc::now()));
        }
        decoded
    }

    /// Note a status the spec does not document for `operation_id`.
    pub(crate) fn undocumented_status(&self, operation_id: &str, status: u16) {
        let mut findings = Findings::default();
        findings.note("".into(), DriftKind::UndocumentedStatus { status });
        self.record(findings.into_entries(operation_id, Utc::now()));
    }

    fn record(&self, found: Vec<DriftEntry>) {
        let mut updated = Vec::new();
        {
            let mut entries = self.state.lock();
            for entry in found {
                let entry = entries.add(entry);
                if self.state.callback.is_some() {
                    updated.push(entry.clone());
                }
            }
        }
        if let Some(callback) = &self.state.callback {
            updated.iter().for_each(|entry| callback(entry));
        }
    }
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The whole aggregate as NDJSON, if it changed since last asked.
    fn changed_ndjson(&self) -> Option<String> {
        let mut entries = self.lock();
        if !std::mem::take(&mut entries.changed) {
            return None;
        }
        let mut out = String::new();
        let mut line = |json: serde_json::Result<String>| {
            if let Ok(json) = json {
                out.push_str(&json);
                out.push('\n');
            }
        };
        entries
            .kept
            .values()
            .for_each(|e| line(serde_json::to_string(e)));
        // The cap's line names no operation or path: a reader counts it apart.
        if let Some(Ok(mut json)) = entries.dropped.as_ref().map(serde_json::to_value) {
            if let Some(object) = json.as_object_mut() {
                object.remove("operation");
                object.remove("path");
            }
            line(serde_json::to_string(&json));
        }
        Some(out)
    }

    /// Ask for the log to be written again (the last write failed).
    fn mark_changed(&self) {
        self.lock().changed = true;
    }
}

impl Entries {
    /// Count `new` in; the entry it joined (the `dropped` one past the cap).
    fn add(&mut self, new: DriftEntry) -> &DriftEntry {
        self.changed = true;
        let key = new.identity();
        let over = !self.kept.contains_key(&key) && self.kept.len() >= MAX_ENTRIES;
        if over || matches!(new.kind, DriftKind::Dropped { .. }) {
            let sightings = DriftEntry {
                operation: String::new(),
                path: String::new(),
                kind: dropped_kind(),
                ..new
            };
            let dropped = self.dropped.get_or_insert_with(|| DriftEntry {
                count: 0,
                ..sightings.clone()
            });
            dropped.count_in(sightings);
            return dropped;
        }
        match self.kept.entry(key) {
            btree_map::Entry::Occupied(kept) => {
                let kept = kept.into_mut();
                kept.count_in(new);
                kept
            }
            btree_map::Entry::Vacant(slot) => slot.insert(new),
        }
    }
}

impl DriftEntry {
    /// What makes it distinct: the operation, the path and the kind (the
    /// JSON types of an undeclared field left out, as they add up).
    fn identity(&self) -> (String, String, DriftKind) {
        let mut kind = self.kind.clone();
        if let DriftKind::UndeclaredField { json_types } = &mut kind {
            json_types.clear();
        }
        (self.operation.clone(), self.path.clone(), kind)
    }

    /// Add the sightings of `other`, an entry of the same thing.
    fn count_in(&mut self, other: DriftEntry) {
        self.count = self.count.saturating_add(other.count);
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        if let (
            DriftKind::UndeclaredField { json_types },
            DriftKind::UndeclaredField { json_types: more },
        ) = (&mut self.kind, other.kind)
        {
            json_types.extend(more);
            json_types.sort();
            json_types.dedup();
        }
    }
}
