//! The body of a successful list response: the envelope, in the field order
//! of the spec, with the page-shaping faults applied.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::contacts;
use crate::data::{Dataset, Missing};
use crate::faults::FaultKind;
use crate::intents::{self, IntentIndex};
use crate::validate::{self, Invalid, Paging};

/// Why a list request was not served.
pub(crate) enum Failure {
    /// 400: the body failed validation.
    Invalid(Invalid),
    /// 404: the addressed user or business does not exist (reserved ids).
    NotFound(String),
    /// 500: the page could not be serialised.
    Internal,
}

impl From<Invalid> for Failure {
    fn from(e: Invalid) -> Failure {
        Failure::Invalid(e)
    }
}

/// Unknown fields added by [`FaultKind::ExtraFields`] (empty otherwise).
type Extra = BTreeMap<&'static str, Value>;

#[derive(Serialize)]
struct Envelope<T> {
    status: &'static str,
    message: &'static str,
    data: Data<T>,
    #[serde(flatten)]
    extra: Extra,
}

#[derive(Serialize)]
struct Data<T> {
    items: Vec<Item<T>>,
    pagination: Pagination,
    #[serde(flatten)]
    extra: Extra,
}

#[derive(Serialize)]
struct Item<T> {
    #[serde(flatten)]
    item: T,
    #[serde(flatten)]
    extra: Extra,
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
fn window(paging: Paging, faults: &[FaultKind]) -> (u64, u64) {
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

fn extra(faults: &[FaultKind], fields: &[(&'static str, Value)]) -> Extra {
    if faults.contains(&FaultKind::ExtraFields) {
        fields.iter().cloned().collect()
    } else {
        Extra::new()
    }
}

fn serialise<T: Serialize>(
    items: Vec<T>,
    paging: Paging,
    total: u64,
    search: Option<String>,
    faults: &[FaultKind],
) -> Result<Vec<u8>, Failure> {
    let items = items
        .into_iter()
        .map(|item| Item {
            item,
            extra: extra(
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
                page: paging.page,
                per_page: paging.per_page,
                total,
                sort: "created_at:desc",
                search,
                extra: extra(
                    faults,
                    &[("has_more", json!(true)), ("total_pages", json!(-1))],
                ),
            },
            extra: extra(
                faults,
                &[("cursor", json!({"next": null, "opaque": [1, "two", 3.5]}))],
            ),
        },
        extra: extra(
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
    body: &[u8],
    faults: &[FaultKind],
) -> Result<Vec<u8>, Failure> {
    let query = validate::contacts(body)?;
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
    let (offset, len) = window(query.paging, faults);
    let items = matching
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(len).unwrap_or(usize::MAX))
        .map(|j| contacts::contact(data, business, *j))
        .collect();
    serialise(items, query.paging, matching.len() as u64, None, faults)
}

/// A page of `POST /payment-intent/program/all`.
pub(crate) fn intents(
    data: &Dataset,
    index: &IntentIndex,
    body: &[u8],
    faults: &[FaultKind],
) -> Result<Vec<u8>, Failure> {
    let query = validate::intents(body)?;
    let selection = index.select(data, &query.filter);
    let (offset, len) = window(query.paging, faults);
    let mut items = Vec::new();
    for k in (0..len).map_while(|k| offset.checked_add(k)) {
        let Some(i) = selection.get(k) else { break };
        let mut item = intents::intent(data, i);
        if items.is_empty() && faults.contains(&FaultKind::UnknownEnumValue) {
            item.status = "under_review";
            item.direction = "sideways";
        }
        items.push(item);
    }
    serialise(items, query.paging, selection.total(), query.search, faults)
}
