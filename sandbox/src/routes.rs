//! Every operation of the spec, with no per-operation code: a request is
//! routed by method and path (under `/api/v4`), checked against the spec's
//! rules, and answered as its kind says (`spec::Kind`): a list page, a write
//! (`store.rs`), or one generated object for a read. Every 200 is checked
//! against the operation's response schema before it is sent.
//!
//! Which object a non-list operation answers with, and which lists show what
//! a write created: the object is at `data.items[0]` if the response is a
//! page, else at `data`, else the whole response; a list shows the objects
//! of every write whose object schema is its item schema.

use std::time::SystemTime;

use serde_json::{Map, Value};

use crate::data::{Dataset, hash, hash_str};
use crate::faults::FaultKind;
use crate::generate::{format_millis, generate, unique_text};
use crate::intents::IntentIndex;
use crate::lists::{ListInfo, ListQuery, Listed, Lists, Source};
use crate::pages::{self, Frame, Page, Row};
use crate::pinned::{self, PinnedSource};
use crate::reply::{Failure, JSON, Reply};
use crate::schema_check::{Violation, check};
use crate::setup::SetupError;
use crate::spec::{Kind, Operation, Shape, Spec, split_path};
use crate::store::{Store, with_request_fields};
use crate::validate::{self, Paging};
use crate::{contacts, intents};

/// A path's template parameters: (name, value).
type PathParams = Vec<(String, String)>;

/// The path stem of the base URL.
pub(crate) const STEM: &str = "/api/v4";
const TAG_WRITE: u64 = 40;
const TAG_READ: u64 = 41;
/// The most generated items one list serves (a filter scans them all).
pub const MAX_ITEMS_PER_OPERATION: u64 = 1_000_000;
/// How many built-in items are checked against the spec at start.
const BUILTIN_SAMPLE: u32 = 16;

/// How the sandbox serves a spec.
#[derive(Debug)]
pub(crate) struct Service {
    spec: Spec,
    ops: Vec<Operation>,
    /// Per operation: where its answer's object sits.
    shapes: Vec<Shape>,
    /// Per list operation: its items' description and source.
    lists: Vec<Option<(ListInfo, Source)>>,
    /// Per list operation: the write operations whose objects it shows.
    feeds: Vec<Vec<usize>>,
    generic: Lists,
    store: Store,
}

/// The parts of a [`Service`] set at start.
pub(crate) struct ServiceConfig<'a> {
    pub spec: &'a str,
    pub seed: u64,
    pub items_per_operation: u64,
    pub pinned: &'a [(String, PinnedSource)],
    pub data: &'a Dataset,
}

impl Service {
    pub fn new(config: ServiceConfig<'_>) -> Result<Service, SetupError> {
        let spec = Spec::parse(config.spec)?;
        let ops = spec.operations()?;
        let shapes: Vec<Shape> = ops.iter().map(|op| spec.shape(&op.response)).collect();
        let mut lists = Vec::new();
        for op in &ops {
            lists.push(match &op.kind {
                Kind::List { item, .. } => {
                    let info = ListInfo::new(&spec, op.body.as_ref(), item);
                    let source =
                        builtin(&spec, op, &info, config.data).unwrap_or(Source::Generated {
                            count: config.items_per_operation.min(MAX_ITEMS_PER_OPERATION),
                        });
                    Some((info, source))
                }
                _ => None,
            });
        }
        for (id, source) in config.pinned {
            let found = ops.iter().position(|op| op.id == *id);
            let Some((info, slot)) = found.and_then(|i| {
                lists
                    .get_mut(i)?
                    .as_mut()
                    .map(|(info, s)| (info.clone(), s))
            }) else {
                return Err(SetupError::Operation {
                    operation: id.clone(),
                    problem: if found.is_some() {
                        "not a list operation (page/per_page in, data.items and data.pagination out)".into()
                    } else {
                        "the spec has no operation with this operationId".into()
                    },
                });
            };
            *slot = Source::Pinned(std::sync::Arc::new(pinned::load(
                &spec, &info.item, source,
            )?));
        }
        let feeds = lists
            .iter()
            .map(|list| {
                let Some((info, _)) = list else {
                    return Vec::new();
                };
                ops.iter()
                    .enumerate()
                    .filter(|(_, op)| matches!(op.kind, Kind::Write { .. }))
                    .filter(|(w, _)| {
                        object_schema(&shapes[*w]).is_some_and(|o| spec.same_schema(o, &info.item))
                    })
                    .map(|(w, _)| w)
                    .collect()
            })
            .collect();
        Ok(Service {
            spec,
            ops,
            shapes,
            lists,
            feeds,
            generic: Lists::new(config.seed),
            store: Store::default(),
        })
    }

    /// The answer to an authenticated request that no fault answered.
    pub fn respond(
        &self,
        builtin: (&Dataset, &IntentIndex),
        method: &str,
        target: &str,
        body: &[u8],
        faults: &[FaultKind],
        now: SystemTime,
    ) -> Reply {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let (i, path_params) = match self.route(method, path) {
            Ok(found) => found,
            Err(reply) => return *reply,
        };
        let op = &self.ops[i];
        let answer = self
            .check_parameters(op, &path_params, query)
            .and_then(|()| self.body(op, body))
            .and_then(|map| self.answer(i, &map, builtin, faults, now))
            .and_then(|bytes| self.verified(op, bytes, faults));
        match answer {
            Ok(bytes) => Reply::new(200, Some(JSON), bytes),
            Err(failure) => failure.reply(),
        }
    }

    /// The operation for `method` and `path`, and its path parameters; else the 404 or 405.
    fn route(&self, method: &str, path: &str) -> Result<(usize, PathParams), Box<Reply>> {
        let not_found = || Box::new(Reply::envelope(404, &format!("no such operation: {path}")));
        let rest = path
            .strip_prefix(STEM)
            .filter(|r| r.is_empty() || r.starts_with('/'))
            .ok_or_else(not_found)?;
        let segments = split_path(rest);
        // Literal segments beat templated ones (`/x/all` before `/x/{id}`).
        let mut candidates: Vec<(usize, usize)> = self
            .ops
            .iter()
            .enumerate()
            .filter_map(|(i, op)| literal_matches(&op.segments, &segments).map(|n| (i, n)))
            .collect();
        candidates.sort_by_key(|(_, literal)| std::cmp::Reverse(*literal));
        let best = candidates.first().map(|(_, n)| *n).ok_or_else(not_found)?;
        let same_path: Vec<usize> = candidates
            .iter()
            .filter(|(_, n)| *n == best)
            .map(|(i, _)| *i)
            .collect();
        let Some(&i) = same_path.iter().find(|i| self.ops[**i].method == method) else {
            let allowed: Vec<&str> = same_path
                .iter()
                .map(|i| self.ops[*i].method.as_str())
                .collect();
            let allowed = allowed.join(", ");
            let mut reply =
                Reply::envelope(405, &format!("method {method} not allowed; use {allowed}"));
            reply.extra_headers.push(("Allow", allowed));
            return Err(Box::new(reply));
        };
        let params = self.ops[i]
            .segments
            .iter()
            .zip(&segments)
            .filter_map(|(template, value)| {
                let name = template.strip_prefix('{')?.strip_suffix('}')?;
                Some((name.to_owned(), percent_decode(value)))
            })
            .collect();
        Ok((i, params))
    }

    fn check_parameters(
        &self,
        op: &Operation,
        path_params: &[(String, String)],
        query: &str,
    ) -> Result<(), Failure> {
        let query: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        for (name, location, required, schema) in &op.parameters {
            let given = if location == "path" {
                path_params
            } else {
                &query
            };
            match given.iter().find(|(n, _)| n == name) {
                Some((_, text)) => {
                    check(&self.spec, schema, &typed(&self.spec, schema, text), name)?
                }
                None if *required => {
                    return Err(Violation {
                        path: name.clone(),
                        reason: "is required".into(),
                    }
                    .into());
                }
                None => {}
            }
        }
        Ok(())
    }

    /// The JSON body checked against the operation's request schema (an object's fields, else none).
    fn body(&self, op: &Operation, body: &[u8]) -> Result<Map<String, Value>, Failure> {
        let Some(schema) = &op.body else {
            return Ok(Map::new());
        };
        if body.is_empty() && !op.body_required {
            return Ok(Map::new());
        }
        let value: Value = serde_json::from_slice(body).map_err(|_| Violation {
            path: String::new(),
            reason: "must be a JSON object".into(),
        })?;
        check(&self.spec, schema, &value, "")?;
        Ok(match value {
            Value::Object(map) => map,
            _ => Map::new(),
        })
    }

    fn answer(
        &self,
        i: usize,
        map: &Map<String, Value>,
        (data, index): (&Dataset, &IntentIndex),
        faults: &[FaultKind],
        now: SystemTime,
    ) -> Result<Vec<u8>, Failure> {
        let op = &self.ops[i];
        let skip = self.skipped(op);
        let page = match (&op.kind, self.lists.get(i).and_then(Option::as_ref)) {
            (Kind::List { .. }, Some((info, source))) => {
                let created = self
                    .store
                    .created_by(self.feeds.get(i).map_or(&[], Vec::as_slice));
                let paging = Paging::of(map, info.defaults);
                match source {
                    Source::Contacts => {
                        pages::contacts(data, validate::contacts(map, paging), created, faults)?
                    }
                    Source::Intents => pages::intents(
                        data,
                        index,
                        validate::intents(map, paging),
                        created,
                        faults,
                    )?,
                    Source::Generated { .. } | Source::Pinned(_) => {
                        let list = Listed {
                            spec: &self.spec,
                            id: &op.id,
                            info,
                            response: &op.response,
                            source,
                        };
                        self.generic.page(
                            &list,
                            ListQuery::new(info, map, &skip),
                            created,
                            faults,
                        )?
                    }
                }
            }
            (Kind::Write { key }, _) => {
                let key_value = map.get(key).and_then(Value::as_str);
                let bytes = self.store.write(i, key_value, |n| {
                    let seed = hash(self.generic.seed, &[TAG_WRITE, hash_str(&op.id)]);
                    let object = self.object(i, map, hash(seed, &[n]), Some((n, seed, now)))?;
                    let bytes = self.object_answer(i, object.clone(), faults)?;
                    Ok((object, bytes))
                })?;
                return Ok(bytes.as_ref().clone());
            }
            _ => {
                let mut fields: Vec<(&String, String)> = map
                    .iter()
                    .filter(|(k, _)| !skip.contains(k))
                    .map(|(k, v)| (k, v.to_string()))
                    .collect();
                fields.sort();
                let key = hash(
                    self.generic.seed,
                    &[TAG_READ, hash_str(&op.id), hash_str(&format!("{fields:?}"))],
                );
                let object = self.object(i, map, key, None)?;
                return self.object_answer(i, object, faults);
            }
        };
        pages::serialise(page, faults)
    }

    /// Body fields that are neither data nor filters: the api key, the idempotency key.
    fn skipped(&self, op: &Operation) -> Vec<String> {
        let mut skip = self.spec.api_key_fields.clone();
        if let Kind::Write { key } = &op.kind {
            skip.push(key.clone());
        }
        skip
    }

    /// The object a non-list operation answers with: generated, with the
    /// request's fields it also has; for a write (`created`: its number, id
    /// salt and time) a unique id and the time of creation.
    fn object(
        &self,
        i: usize,
        map: &Map<String, Value>,
        key: u64,
        created: Option<(u64, u64, SystemTime)>,
    ) -> Result<Value, Failure> {
        let spec = &self.spec;
        let schema = object_schema(&self.shapes[i]).unwrap_or(&Value::Null);
        let generated = generate(spec, schema, key, "data")?;
        let mut object = with_request_fields(
            generated.clone(),
            map,
            &spec.api_key_fields,
            |name, value| {
                spec.property(schema, name)
                    .is_some_and(|p| check(spec, p, value, name).is_ok())
            },
        );
        if let (Some((n, salt, now)), Value::Object(fields)) = (created, &mut object) {
            let fits = |name: &str, value: &Value| {
                spec.property(schema, name)
                    .is_some_and(|p| check(spec, p, value, name).is_ok())
            };
            let id = Value::String(unique_text(n, salt));
            if !map.contains_key("id") && fits("id", &id) {
                fields.insert("id".into(), id);
            }
            let secs = now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let stamp = Value::String(format_millis(i64::try_from(secs).unwrap_or(0)));
            let timeline = spec.property_names(schema).into_iter().find(|name| {
                spec.property(schema, name)
                    .and_then(|p| spec.resolve(p))
                    .and_then(|p| p.get("format"))
                    .and_then(Value::as_str)
                    == Some("date-time")
            });
            if let Some(name) =
                timeline.filter(|name| !map.contains_key(name) && fits(name, &stamp))
            {
                fields.insert(name, stamp);
            }
        }
        // Fields valid one by one may still break the whole (maxProperties, oneOf).
        Ok(if check(spec, schema, &object, "data").is_ok() {
            object
        } else {
            generated
        })
    }

    /// The answer's bytes around `object`, as the response schema places it.
    fn object_answer(
        &self,
        i: usize,
        object: Value,
        faults: &[FaultKind],
    ) -> Result<Vec<u8>, Failure> {
        let op = &self.ops[i];
        let frame_key = hash(self.generic.seed, &[TAG_READ, hash_str(&op.id), 1]);
        match &self.shapes[i] {
            Shape::Page { .. } => pages::serialise(
                Page {
                    rows: vec![Row::Json(object)],
                    paging: Paging {
                        page: 1,
                        per_page: 1,
                    },
                    total: 1,
                    search: None,
                    frame: Frame::generate(&self.spec, &op.response, frame_key)?,
                },
                faults,
            ),
            Shape::Data { .. } => {
                let frame = Frame::generate(&self.spec, &op.response, frame_key)?;
                serde_json::to_vec(&frame.around(object)).map_err(|_| Failure::Internal)
            }
            Shape::Bare { .. } => serde_json::to_vec(&object).map_err(|_| Failure::Internal),
        }
    }

    /// `bytes` if they are what the spec says the operation answers; the
    /// page-shaping faults break the spec on purpose and are not checked.
    fn verified(
        &self,
        op: &Operation,
        bytes: Vec<u8>,
        faults: &[FaultKind],
    ) -> Result<Vec<u8>, Failure> {
        if faults
            .iter()
            .any(|f| matches!(f, FaultKind::ExtraFields | FaultKind::UnknownEnumValue))
        {
            return Ok(bytes);
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| Failure::Internal)?;
        check(&self.spec, &op.response, &value, "").map_err(|v| {
            Failure::Unsatisfiable(format!(
                "the answer of {} would break the spec ({v}); pin valid data or fix the spec",
                op.id
            ))
        })?;
        Ok(bytes)
    }
}

/// The schema of the object a non-list answer carries.
fn object_schema(shape: &Shape) -> Option<&Value> {
    match shape {
        Shape::Page { item, .. } => Some(item),
        Shape::Data { object } | Shape::Bare { object } => Some(object),
    }
}

/// The built-in source of a seed operation, if the spec's item schema accepts its items.
fn builtin(spec: &Spec, op: &Operation, info: &ListInfo, data: &Dataset) -> Option<Source> {
    let (source, samples): (Source, Vec<Value>) = match op.id.as_str() {
        "list_contacts" => {
            let business = data.business("user-demo", "buss-demo").ok()?;
            let n = business.contacts.min(BUILTIN_SAMPLE as usize);
            (
                Source::Contacts,
                (0..n)
                    .filter_map(|j| serde_json::to_value(contacts::contact(data, business, j)).ok())
                    .collect(),
            )
        }
        "list_payment_intents" => {
            let n = data.payment_intents.min(BUILTIN_SAMPLE);
            (
                Source::Intents,
                (0..n)
                    .filter_map(|i| serde_json::to_value(intents::intent(data, i)).ok())
                    .collect(),
            )
        }
        _ => return None,
    };
    samples
        .iter()
        .all(|item| check(spec, &info.item, item, "").is_ok())
        .then_some(source)
}

/// How many literal segments match, if `segments` fit the template at all.
fn literal_matches(template: &[String], segments: &[String]) -> Option<usize> {
    if template.len() != segments.len() {
        return None;
    }
    let mut literal = 0;
    for (t, s) in template.iter().zip(segments) {
        if t.starts_with('{') && t.ends_with('}') {
            continue;
        }
        if t != s {
            return None;
        }
        literal += 1;
    }
    Some(literal)
}

/// A parameter's text as the JSON value its schema's type asks for (left a string if it does not parse).
fn typed(spec: &Spec, schema: &Value, text: &str) -> Value {
    let ty = spec
        .resolve(schema)
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str);
    let parsed = match ty {
        Some("integer") => text.parse::<i64>().ok().map(Value::from),
        Some("number") => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Some("boolean") => text.parse::<bool>().ok().map(Value::Bool),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_owned()))
}

/// `%XX` and `+` decoded; invalid escapes kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> Service {
        let data = Dataset::new(1, 3, 2, 37, 100);
        let config = ServiceConfig {
            spec: ingo_banking::SPEC,
            seed: 1,
            items_per_operation: 10,
            pinned: &[],
            data: &data,
        };
        Service::new(config).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The seed operations' messages, now from the spec's rules.
    #[test]
    fn messages_name_the_field() {
        let service = service();
        let op = |id: &str| service.ops.iter().find(|o| o.id == id).cloned();
        let message = |id: &str, body: &str| match op(id).map(|o| service.body(&o, body.as_bytes()))
        {
            Some(Err(Failure::Invalid(v))) => v.to_string(),
            other => format!("{other:?}"),
        };
        let intents = "list_payment_intents";
        let contacts = "list_contacts";
        let cases = [
            (
                intents,
                r#"{"per_page":0}"#,
                "per_page: must be between 1 and 500 (got 0)",
            ),
            (
                intents,
                r#"{"per_page":501}"#,
                "per_page: must be between 1 and 500 (got 501)",
            ),
            (
                intents,
                r#"{"page":-2}"#,
                "page: must be at least 1 (got -2)",
            ),
            (intents, r#"{"page":1.5}"#, "page: must be an integer"),
            (intents, "[]", "body: must be a JSON object"),
            (
                intents,
                r#"{"pi_action":"later"}"#,
                "pi_action: must be one of",
            ),
            (intents, r#"{"end_date":"2026-13-01"}"#, "end_date: must be"),
            (contacts, r#"{"business_id":"b"}"#, "user_id: is required"),
            (
                contacts,
                r#"{"user_id":"u","business_id":""}"#,
                "business_id: must not be empty",
            ),
            (intents, r#"{"api_key":{}}"#, "api_key: must be a string"),
            (intents, r#"{"search":null}"#, "search: must not be null"),
        ];
        for (id, body, expected) in cases {
            let got = message(id, body);
            assert!(got.starts_with(expected), "{body}: {got}");
        }
    }

    #[test]
    fn routing() {
        assert_eq!(
            literal_matches(&split_path("/a/{id}"), &split_path("/a/7")),
            Some(1)
        );
        assert_eq!(
            literal_matches(&split_path("/a/all"), &split_path("/a/7")),
            None
        );
        assert_eq!(percent_decode("a%20b+c%zz"), "a b c%zz");
        let service = service();
        let status = |method: &str, path: &str| match service.route(method, path) {
            Ok(_) => 200,
            Err(reply) => reply.status,
        };
        assert_eq!(status("POST", "/api/v4/business/customers/get-all"), 200);
        assert_eq!(status("GET", "/api/v4/business/customers/get-all"), 405);
        assert_eq!(status("POST", "/api/v4/business/customers"), 404);
        assert_eq!(status("POST", "/api/v4x/business/customers/get-all"), 404);
        assert_eq!(status("POST", "/business/customers/get-all"), 404);
    }
}
