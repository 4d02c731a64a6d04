//! The body of a successful answer: the envelope, in the field order of the
//! spec, with the page-shaping faults applied; and the two seed operations'
//! built-in pages (contacts, payment intents), with created objects first.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::contacts::{self, Contact};
use crate::data::{Dataset, Missing};
use crate::faults::FaultKind;
use crate::generate::generate;
use crate::intents::{self, IntentIndex, PaymentIntent};
use crate::reply::Failure;
use crate::spec::Spec;
use crate::validate::{ContactsQuery, IntentsQuery, Paging};

/// Fields beside the ones the sandbox fills: generated ones the spec's
/// envelope also has, and unknown ones added by [`FaultKind::ExtraFields`].
type Extra = BTreeMap<String, Value>;

/// One item of a page: a built-in contact or payment intent, or any JSON.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Row {
    Contact(Contact),
    Intent(PaymentIntent),
    Json(Value),
}

/// The generated parts of an envelope that the sandbox does not fill itself.
#[derive(Clone, Debug, Default)]
pub(crate) struct Frame {
    envelope: Extra,
    data: Extra,
    pagination: Extra,
}

impl Frame {
    /// The fields of `response` other than status, message, data.items and
    /// the pagination echo, generated from the spec (none for the seed specs).
    pub fn generate(spec: &Spec, response: &Value, key: u64) -> Result<Frame, Failure> {
        let generated = generate(spec, response, key, "").map_err(Failure::from)?;
        let take = |value: Option<&Value>, known: &[&str]| -> Extra {
            value
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(k, _)| !known.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let data = generated.get("data");
        Ok(Frame {
            envelope: take(Some(&generated), &["status", "message", "data"]),
            data: take(data, &["items", "pagination"]),
            pagination: take(
                data.and_then(|d| d.get("pagination")),
                &["page", "per_page", "total", "sort", "search"],
            ),
        })
    }

    /// An envelope around `data` (an object answered as `data`).
    pub fn around(&self, data: Value) -> Value {
        let mut map: Map<String, Value> = self.envelope.clone().into_iter().collect();
        map.insert("status".into(), json!("success"));
        map.insert("message".into(), json!("operation completed"));
        map.insert("data".into(), data);
        Value::Object(map)
    }
}

/// A page to serialise.
pub(crate) struct Page {
    pub rows: Vec<Row>,
    pub paging: Paging,
    pub total: u64,
    pub search: Option<String>,
    pub frame: Frame,
}

#[derive(Serialize)]
struct Envelope {
    status: &'static str,
    message: &'static str,
    data: Data,
    #[serde(flatten)]
    extra: Extra,
}

#[derive(Serialize)]
struct Data {
    items: Vec<Item>,
    pagination: Pagination,
    #[serde(flatten)]
    extra: Extra,
}

struct Item {
    row: Row,
    extra: Extra,
}

impl Serialize for Item {
    // Without extra fields the row is written as it is (whatever its JSON type).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            #[serde(flatten)]
            row: &'a Row,
            #[serde(flatten)]
            extra: &'a Extra,
        }
        if self.extra.is_empty() {
            self.row.serialize(serializer)
        } else {
            Flat {
                row: &self.row,
                extra: &self.extra,
            }
            .serialize(serializer)
        }
    }
}

#[derive(Serialize)]
struct Pagination {
    page: u64,
    per_page: u64,
    total: u64,
    sort: &'static str,
    search: Option<String>,
    #[serde(flatten)]
    extra: Extra,
}

/// The window `(offset, len)` of the selected items to serve.
pub(crate) fn window(paging: Paging, faults: &[FaultKind]) -> (u64, u64) {
    let page = if faults.contains(&FaultKind::RepeatPage) {
        1
    } else {
        paging.page
    };
    let offset = page.saturating_sub(1).saturating_mul(paging.per_page);
    let mut len = paging.per_page;
    if faults.contains(&FaultKind::ShortPage) {
        len /= 2;
    }
    (offset, len)
}

/// `base` with fault fields added when [`FaultKind::ExtraFields`] fired.
fn extra(mut base: Extra, faults: &[FaultKind], fields: &[(&str, Value)]) -> Extra {
    if faults.contains(&FaultKind::ExtraFields) {
        base.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    }
    base
}

/// The window of `created` followed by the base items, which `base(k)` gives
/// by their index among themselves (`None` past the last).
pub(crate) fn rows(
    created: Vec<Value>,
    (offset, len): (u64, u64),
    mut base: impl FnMut(u64) -> Result<Option<Row>, Failure>,
) -> Result<Vec<Row>, Failure> {
    let first = created.len() as u64;
    let mut rows = Vec::new();
    let mut created = created
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX));
    for k in (0..len).map_while(|k| offset.checked_add(k)) {
        let row = if k < first {
            created.next().map(Row::Json)
        } else {
            base(k - first)?
        };
        match row {
            Some(row) => rows.push(row),
            None => break,
        }
    }
    Ok(rows)
}

pub(crate) fn serialise(page: Page, faults: &[FaultKind]) -> Result<Vec<u8>, Failure> {
    let Frame {
        envelope,
        data,
        pagination,
    } = page.frame;
    let items = page
        .rows
        .into_iter()
        .map(|row| Item {
            row,
            extra: extra(
                Extra::new(),
                faults,
                &[
                    ("x_unknown_field", json!({"nested": [null, false]})),
                    ("risk_score", json!(0.42)),
                ],
            ),
        })
        .collect();
    let envelope = Envelope {
        status: "success",
        message: "operation completed",
        data: Data {
            items,
            pagination: Pagination {
                page: page.paging.page,
                per_page: page.paging.per_page,
                total: page.total,
                sort: "created_at:desc",
                search: page.search,
                extra: extra(
                    pagination,
                    faults,
                    &[("has_more", json!(true)), ("total_pages", json!(-1))],
                ),
            },
            extra: extra(
                data,
                faults,
                &[("cursor", json!({"next": null, "opaque": [1, "two", 3.5]}))],
            ),
        },
        extra: extra(
            envelope,
            faults,
            &[
                ("request_id", json!("req-0000sandbox")),
                ("api_version", json!("4.1.0")),
            ],
        ),
    };
    serde_json::to_vec(&envelope).map_err(|_| Failure::Internal)
}

/// A page of `POST /business/customers/get-all`.
pub(crate) fn contacts(
    data: &Dataset,
    query: ContactsQuery,
    created: Vec<Value>,
    faults: &[FaultKind],
) -> Result<Page, Failure> {
    let business = data
        .business(&query.user_id, &query.business_id)
        .map_err(|missing| {
            Failure::NotFound(match missing {
                Missing::User => format!("user_id: user {} not found", query.user_id),
                Missing::Business => format!(
                    "business_id: business {} not found for user {}",
                    query.business_id, query.user_id
                ),
            })
        })?;
    let matching = contacts::matching(data, business, query.contact_type.as_deref());
    let total = (created.len() + matching.len()) as u64;
    let rows = rows(created, window(query.paging, faults), |k| {
        let j = usize::try_from(k).ok().and_then(|k| matching.get(k));
        Ok(j.map(|j| Row::Contact(contacts::contact(data, business, *j))))
    })?;
    Ok(Page {
        rows,
        paging: query.paging,
        total,
        search: None,
        frame: Frame::default(),
    })
}

/// A page of `POST /payment-intent/program/all`.
pub(crate) fn intents(
    data: &Dataset,
    index: &IntentIndex,
    query: IntentsQuery,
    created: Vec<Value>,
    faults: &[FaultKind],
) -> Result<Page, Failure> {
    let selection = index.select(data, &query.filter);
    let total = created.len() as u64 + selection.total();
    let mut first = true;
    let rows = rows(created, window(query.paging, faults), |k| {
        Ok(selection.get(k).map(|i| {
            let mut item = intents::intent(data, i);
            if std::mem::take(&mut first) && faults.contains(&FaultKind::UnknownEnumValue) {
                item.status = "under_review";
                item.direction = "sideways";
            }
            Row::Intent(item)
        }))
    })?;
    Ok(Page {
        rows,
        paging: query.paging,
        total,
        search: query.search,
        frame: Frame::default(),
    })
}
