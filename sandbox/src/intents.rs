//! Payment intents: item `i` is a pure function of (seed, i). Item 0 is the
//! newest; `posting_date` (which is also the creation time) strictly
//! decreases with `i`, spread over about twelve months.
//!
//! The enum fields are the digits of `i` in a mixed radix (6·2·5·3·6), so
//! every combination of values occurs once in every 1,080 consecutive items.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

use crate::data::{Dataset, hash, mix, prefixed_uuid, uuid_like};
use crate::generate::{format_millis, timeline_secs};
use crate::recent::Recent;

pub(crate) const STATUSES: [&str; 6] = [
    "pending",
    "processing",
    "completed",
    "failed",
    "cancelled",
    "returned",
];
pub(crate) const DIRECTIONS: [&str; 2] = ["credit", "debit"];
pub(crate) const ACTIONS: [&str; 5] = [
    "instant",
    "approval_needed",
    "settlement_needed",
    "hold",
    "check",
];
pub(crate) const ENTITY_TYPES: [&str; 3] = ["user", "business", "program"];
pub(crate) const CATEGORIES: [&str; 6] = ["card", "ach", "wire", "rtp", "check", "internal"];
const CHANNELS: [&str; 4] = ["web", "mobile", "api", "batch"];

/// One payment intent, serialised as the spec's `PaymentIntent`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PaymentIntent {
    pub id: String,
    pub amount: String,
    pub currency: &'static str,
    pub direction: &'static str,
    pub action: &'static str,
    pub category: &'static str,
    pub status: &'static str,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub idempotent_key: String,
    pub posting_date: String,
    pub metadata: BTreeMap<&'static str, String>,
}

fn cycle(list: &[&'static str], n: u32) -> &'static str {
    let len = u32::try_from(list.len()).unwrap_or(1).max(1);
    list.get((n % len) as usize).copied().unwrap_or("")
}

fn status_of(i: u32) -> &'static str {
    cycle(&STATUSES, i)
}
fn direction_of(i: u32) -> &'static str {
    cycle(&DIRECTIONS, i / 6)
}
fn action_of(i: u32) -> &'static str {
    cycle(&ACTIONS, i / 12)
}
fn entity_type_of(i: u32) -> &'static str {
    cycle(&ENTITY_TYPES, i / 60)
}
fn category_of(i: u32) -> &'static str {
    cycle(&CATEGORIES, i / 180)
}

/// Posting date of item `i` in Unix seconds; strictly decreasing in `i`
/// (the shared timeline of generated items, over a year before 2026-04-16).
pub(crate) fn posting_secs(data: &Dataset, i: u32) -> i64 {
    let jitter = hash(data.seed, &[20, u64::from(i)]);
    timeline_secs(jitter, u64::from(i), u64::from(data.payment_intents))
}

/// Item `i`.
pub(crate) fn intent(data: &Dataset, i: u32) -> PaymentIntent {
    let mut item = undated(data, i);
    item.posting_date = format_millis(posting_secs(data, i));
    item
}

/// Item `i` without its (unsearched, costly to format) posting date.
fn undated(data: &Dataset, i: u32) -> PaymentIntent {
    let h = hash(data.seed, &[21, u64::from(i)]);
    // The first half of the id is a bijection of `i`, so ids never collide.
    let id = format!("ptra-{}", uuid_like(mix(u64::from(i) ^ mix(data.seed)), h));
    let cents = 1 + h % 2_500_000;
    let entity_type = entity_type_of(i);
    let entity_id = match entity_type {
        "user" if data.users > 0 => data.user_id((h >> 24) as usize % data.users),
        "business" if data.users > 0 && data.businesses_per_user > 0 => data.business_id(
            (h >> 24) as usize % data.users,
            (h >> 40) as usize % data.businesses_per_user,
        ),
        "program" => data.program_id(),
        "user" => prefixed_uuid("user", data.seed, &[22, u64::from(i)]),
        _ => prefixed_uuid("buss", data.seed, &[22, u64::from(i)]),
    };
    let mut metadata = BTreeMap::new();
    if !i.is_multiple_of(9) {
        metadata.insert("order_id", format!("ord-{:08x}", h >> 32));
        metadata.insert("channel", cycle(&CHANNELS, (h >> 12) as u32).to_owned());
        if i.is_multiple_of(4) {
            metadata.insert("note", format!("invoice {}", 1000 + (h >> 20) % 9000));
        }
    }
    PaymentIntent {
        id,
        amount: format!("{}.{:02}", cents / 100, cents % 100),
        currency: "usd",
        direction: direction_of(i),
        action: action_of(i),
        category: category_of(i),
        status: status_of(i),
        entity_type,
        entity_id,
        idempotent_key: uuid_like(hash(data.seed, &[23, u64::from(i)]), mix(h)),
        posting_date: String::new(),
        metadata,
    }
}

/// The payment-intent filters of a request, normalised.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct IntentFilter {
    pub status: Option<String>,
    /// Inclusive bounds on `posting_date`, in Unix nanoseconds.
    pub start_ns: Option<i128>,
    pub end_ns: Option<i128>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub direction: Option<String>,
    /// Lowercased.
    pub search: Option<String>,
}

impl IntentFilter {
    fn only_dates(&self) -> bool {
        self.status.is_none()
            && self.action.is_none()
            && self.entity_type.is_none()
            && self.direction.is_none()
            && self.search.is_none()
    }

    /// The checks that need no formatting.
    fn matches_cheaply(&self, i: u32) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        eq(&self.status, status_of(i))
            && eq(&self.action, action_of(i))
            && eq(&self.entity_type, entity_type_of(i))
            && eq(&self.direction, direction_of(i))
    }

    fn matches_search(&self, item: &PaymentIntent) -> bool {
        let Some(needle) = self.search.as_deref() else {
            return true;
        };
        let fields = [
            item.id.as_str(),
            item.entity_id.as_str(),
            item.idempotent_key.as_str(),
            item.amount.as_str(),
            item.status,
            item.category,
            item.currency,
        ];
        fields
            .into_iter()
            .chain(item.metadata.values().map(String::as_str))
            // Every generated value is lowercase already.
            .any(|f| f.contains(needle))
    }
}

/// The items a filter selects, in order.
#[derive(Clone, Debug)]
pub(crate) enum Selection {
    Range(Range<u32>),
    List(Arc<Vec<u32>>),
}

impl Selection {
    pub fn total(&self) -> u64 {
        match self {
            Selection::Range(r) => u64::from(r.end.saturating_sub(r.start)),
            Selection::List(l) => l.len() as u64,
        }
    }

    /// The index of the `k`th selected item.
    pub fn get(&self, k: u64) -> Option<u32> {
        match self {
            Selection::Range(r) => {
                let i = u64::from(r.start).checked_add(k)?;
                (i < u64::from(r.end))
                    .then(|| u32::try_from(i).ok())
                    .flatten()
            }
            Selection::List(l) => l.get(usize::try_from(k).ok()?).copied(),
        }
    }
}

/// The first `i` in `range` for which `pred` is false, `pred` being true on
/// a prefix of the range.
fn partition_point(range: Range<u32>, pred: impl Fn(u32) -> bool) -> u32 {
    let (mut lo, mut hi) = (range.start, range.end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The items whose posting date lies in the filter's inclusive date range.
fn date_range(data: &Dataset, filter: &IntentFilter) -> Range<u32> {
    let ns = |i: u32| i128::from(posting_secs(data, i)) * 1_000_000_000;
    let all = 0..data.payment_intents;
    let start = filter
        .end_ns
        .map_or(0, |end| partition_point(all.clone(), |i| ns(i) > end));
    let end = filter
        .start_ns
        .map_or(all.end, |begin| partition_point(all, |i| ns(i) >= begin));
    start..end.max(start)
}

/// Filter results, with the most recent few kept.
#[derive(Debug, Default)]
pub(crate) struct IntentIndex {
    recent: Recent<IntentFilter>,
}

impl IntentIndex {
    pub fn select(&self, data: &Dataset, filter: &IntentFilter) -> Selection {
        let range = date_range(data, filter);
        if filter.only_dates() {
            return Selection::Range(range);
        }
        if let Some(list) = self.recent.get(filter) {
            return Selection::List(list);
        }
        let list: Vec<u32> = range
            .filter(|i| filter.matches_cheaply(*i))
            .filter(|i| filter.search.is_none() || filter.matches_search(&undated(data, *i)))
            .collect();
        let list = Arc::new(list);
        self.recent.put(filter.clone(), Arc::clone(&list));
        Selection::List(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn items_are_well_formed_and_ordered() {
        let data = Dataset::new(42, 3, 2, 5, 3_000);
        let mut ids = HashSet::new();
        let mut previous = i64::MAX;
        for i in 0..data.payment_intents {
            let item = intent(&data, i);
            assert!(ids.insert(item.id.clone()));
            let secs = posting_secs(&data, i);
            assert!(secs < previous);
            previous = secs;
            assert!(
                item.posting_date.ends_with(".000Z"),
                "{}",
                item.posting_date
            );
            let (whole, cents) = item.amount.split_once('.').unwrap_or_default();
            assert_eq!(cents.len(), 2);
            assert!(whole.parse::<u64>().is_ok_and(|w| w <= 25_000));
            // Search relies on every searched value being lowercase already.
            let searched = serde_json::to_string(&undated(&data, i)).unwrap_or_default();
            assert_eq!(searched, searched.to_lowercase());
        }
        let span = posting_secs(&data, 0) - posting_secs(&data, data.payment_intents - 1);
        assert!(span > 360 * 86_400 && span <= crate::generate::YEAR_SECS);
    }

    #[test]
    fn date_range_is_inclusive() {
        let data = Dataset::new(1, 1, 1, 1, 500);
        let at = |i| i128::from(posting_secs(&data, i)) * 1_000_000_000;
        let filter = IntentFilter {
            start_ns: Some(at(300)),
            end_ns: Some(at(100)),
            ..IntentFilter::default()
        };
        assert_eq!(date_range(&data, &filter), 100..301);
        let empty = IntentFilter {
            start_ns: Some(at(100)),
            end_ns: Some(at(300)),
            ..IntentFilter::default()
        };
        assert_eq!(IntentIndex::default().select(&data, &empty).total(), 0);
    }
}
