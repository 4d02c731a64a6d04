//! Any list operation of the spec: its items (generated from the item schema
//! on the fly, or pinned), filtered by the request the generic way, paged.
//!
//! A request's body fields mean, in this order:
//! * `page`, `per_page`: paging (defaults: the schema's `default`s, else 1 and 10);
//! * `search`: a case-insensitive substring of any of the item's string values;
//! * `start_date`, `end_date`: inclusive bounds on the item's first date-time field;
//! * a field named like an item field: equality (or membership, for an array field);
//! * anything else (`user_id`…): a scope, mixed into the generated data set,
//!   so other ids give other items and the same ids the same ones.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::data::{hash, hash_str};
use crate::faults::FaultKind;
use crate::generate::{format_millis, generate, timeline_secs, unique_text};
use crate::pages::{Frame, Page, Row, rows, window};
use crate::recent::Recent;
use crate::reply::Failure;
use crate::schema_check::check;
use crate::spec::Spec;
use crate::validate::{Paging, date_time_ns};

/// The deepest a string value is looked for by `search`.
const SEARCH_DEPTH: usize = 8;
const TAG_ITEM: u64 = 30;
const TAG_FRAME: u64 = 31;

/// What the sandbox knows of one list operation's items.
#[derive(Clone, Debug)]
pub(crate) struct ListInfo {
    pub item: Value,
    /// The item's first top-level date-time field: a timeline, newest first.
    pub timeline: Option<String>,
    /// Whether the item has a string `id` that generated items make unique.
    pub unique_id: bool,
    pub item_fields: Vec<String>,
    pub defaults: Paging,
}

impl ListInfo {
    pub fn new(spec: &Spec, body: Option<&Value>, item: &Value) -> ListInfo {
        let item_fields = spec.property_names(item);
        let is = |name: &str, key: &str, want: &str| {
            spec.property(item, name)
                .and_then(|p| spec.resolve(p))
                .and_then(|p| p.get(key))
                .and_then(Value::as_str)
                == Some(want)
        };
        let timeline = item_fields
            .iter()
            .find(|name| is(name, "format", "date-time"))
            .cloned();
        let default = |field: &str, fallback: u64| {
            body.and_then(|b| spec.property(b, field))
                .and_then(|p| spec.resolve(p))
                .and_then(|p| p.get("default"))
                .and_then(Value::as_u64)
                .filter(|n| *n >= 1)
                .unwrap_or(fallback)
        };
        ListInfo {
            item: item.clone(),
            timeline,
            unique_id: is("id", "type", "string"),
            item_fields,
            defaults: Paging {
                page: default("page", 1),
                per_page: default("per_page", 10),
            },
        }
    }
}

/// Where a list operation's items come from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// Generated from the item schema, this many per scope.
    Generated { count: u64 },
    /// Given by the user, served as given.
    Pinned(Arc<Vec<Value>>),
    /// The built-in contacts (`data.rs`, `contacts.rs`).
    Contacts,
    /// The built-in payment intents (`intents.rs`).
    Intents,
}

/// A list request read the generic way.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ListQuery {
    pub paging: Paging,
    /// The search as sent (echoed in the pagination).
    pub search: Option<String>,
    needle: Option<String>,
    equal: Vec<(String, Value)>,
    start_ns: Option<i128>,
    end_ns: Option<i128>,
    pub scope: u64,
}

impl ListQuery {
    /// `skip`: body fields that are neither filters nor scope (the api key, the idempotency key).
    pub fn new(info: &ListInfo, map: &Map<String, Value>, skip: &[String]) -> ListQuery {
        let mut query = ListQuery {
            paging: Paging::of(map, info.defaults),
            search: None,
            needle: None,
            equal: Vec::new(),
            start_ns: None,
            end_ns: None,
            scope: 0,
        };
        let mut scope = Vec::new();
        for (name, value) in map {
            let is_field = info.item_fields.contains(name);
            let text = value.as_str();
            match name.as_str() {
                _ if value.is_null() || skip.contains(name) => {}
                "page" | "per_page" => {}
                "search" if !is_field => {
                    query.search = text.map(str::to_owned);
                    query.needle = text.map(str::to_lowercase);
                }
                "start_date" if !is_field && info.timeline.is_some() => {
                    query.start_ns = text.and_then(date_time_ns);
                }
                "end_date" if !is_field && info.timeline.is_some() => {
                    query.end_ns = text.and_then(date_time_ns);
                }
                _ if is_field => query.equal.push((name.clone(), value.clone())),
                _ => scope.push(hash_str(&format!("{name}={value}"))),
            }
        }
        query.scope = if scope.is_empty() { 0 } else { hash(0, &scope) };
        query
    }

    fn filters(&self) -> bool {
        self.needle.is_some()
            || !self.equal.is_empty()
            || self.start_ns.is_some()
            || self.end_ns.is_some()
    }

    /// Whether `item` passes every filter of the request.
    pub fn matches(&self, info: &ListInfo, item: &Value) -> bool {
        let equal = self.equal.iter().all(|(name, want)| match item.get(name) {
            Some(Value::Array(values)) if !want.is_array() => values.contains(want),
            Some(have) => have == want,
            None => false,
        });
        let dated = match (
            &info.timeline,
            self.start_ns.is_some() || self.end_ns.is_some(),
        ) {
            (Some(field), true) => item
                .get(field)
                .and_then(Value::as_str)
                .and_then(date_time_ns)
                .is_some_and(|at| {
                    self.start_ns.is_none_or(|s| at >= s) && self.end_ns.is_none_or(|e| at <= e)
                }),
            _ => true,
        };
        let found = self
            .needle
            .as_deref()
            .is_none_or(|needle| contains_text(item, needle, 0));
        equal && dated && found
    }

    /// The cache key of the filters and scope (paging left out).
    fn fingerprint(&self) -> String {
        format!(
            "{}|{:?}|{:?}|{:?}|{:?}",
            self.scope, self.needle, self.equal, self.start_ns, self.end_ns
        )
    }
}

/// Whether any string in `value` contains `needle` (lower case), case-insensitively.
fn contains_text(value: &Value, needle: &str, depth: usize) -> bool {
    match value {
        Value::String(s) => s.to_lowercase().contains(needle),
        Value::Array(items) if depth < SEARCH_DEPTH => {
            items.iter().any(|v| contains_text(v, needle, depth + 1))
        }
        Value::Object(map) if depth < SEARCH_DEPTH => {
            map.values().any(|v| contains_text(v, needle, depth + 1))
        }
        _ => false,
    }
}

/// The generic lists: generated or pinned items, and their filter results.
#[derive(Debug)]
pub(crate) struct Lists {
    pub seed: u64,
    recent: Recent<(String, String)>,
}

/// One list operation, as a request reaches it.
pub(crate) struct Listed<'a> {
    pub spec: &'a Spec,
    pub id: &'a str,
    pub info: &'a ListInfo,
    pub response: &'a Value,
    pub source: &'a Source,
}

impl Lists {
    pub fn new(seed: u64) -> Lists {
        Lists {
            seed,
            recent: Recent::default(),
        }
    }

    /// Item `i` of a generated list: deterministic in (seed, operation, scope, i),
    /// with a unique id and its place on the timeline.
    pub fn generated(
        &self,
        list: &Listed<'_>,
        scope: u64,
        i: u64,
        count: u64,
    ) -> Result<Value, Failure> {
        let op = hash_str(list.id);
        let key = hash(self.seed, &[TAG_ITEM, op, scope, i]);
        let mut item = generate(list.spec, &list.info.item, key, "data.items[]")?;
        if let Value::Object(map) = &mut item {
            if list.info.unique_id {
                let id = Value::String(unique_text(i, hash(self.seed, &[op, scope])));
                let fits = list
                    .spec
                    .property(&list.info.item, "id")
                    .is_some_and(|schema| check(list.spec, schema, &id, "id").is_ok());
                if fits {
                    map.insert("id".into(), id);
                }
            }
            if let Some(field) = &list.info.timeline {
                map.insert(
                    field.clone(),
                    Value::String(format_millis(timeline_secs(key, i, count))),
                );
            }
        }
        Ok(item)
    }

    /// A page of a generated or pinned list, `created` objects (newest first) before its items.
    pub fn page(
        &self,
        list: &Listed<'_>,
        query: ListQuery,
        created: Vec<Value>,
        faults: &[FaultKind],
    ) -> Result<Page, Failure> {
        let created: Vec<Value> = created
            .into_iter()
            .filter(|c| query.matches(list.info, c))
            .collect();
        let (count, pinned) = match list.source {
            Source::Pinned(items) => (items.len() as u64, Some(items)),
            Source::Generated { count } => (*count, None),
            Source::Contacts | Source::Intents => (0, None),
        };
        let item = |i: u64| -> Result<Value, Failure> {
            match pinned {
                Some(items) => Ok(usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i))
                    .cloned()
                    .unwrap_or_default()),
                None => self.generated(list, query.scope, i, count),
            }
        };
        let selected = if query.filters() {
            let key = (list.id.to_owned(), query.fingerprint());
            match self.recent.get(&key) {
                Some(found) => Some(found),
                None => {
                    let mut found = Vec::new();
                    for i in 0..count {
                        if query.matches(list.info, &item(i)?) {
                            found.push(u32::try_from(i).unwrap_or(u32::MAX));
                        }
                    }
                    let found = Arc::new(found);
                    self.recent.put(key, Arc::clone(&found));
                    Some(found)
                }
            }
        } else {
            None
        };
        let total = created.len() as u64 + selected.as_ref().map_or(count, |s| s.len() as u64);
        let rows = rows(created, window(query.paging, faults), |k| {
            let i = match &selected {
                Some(s) => usize::try_from(k)
                    .ok()
                    .and_then(|k| s.get(k))
                    .map(|i| u64::from(*i)),
                None => (k < count).then_some(k),
            };
            i.map(|i| item(i).map(Row::Json)).transpose()
        })?;
        let frame = Frame::generate(
            list.spec,
            list.response,
            hash(self.seed, &[TAG_FRAME, hash_str(list.id)]),
        )?;
        Ok(Page {
            rows,
            paging: query.paging,
            total,
            search: query.search,
            frame,
        })
    }
}
