//! Contacts of a business: contact `j` of business `(u, b)` is a pure
//! function of (seed, u, b, j); contact 0 is the newest.

use serde::Serialize;

use crate::data::{Dataset, hash, mix, uuid_like};

/// The contact types the sandbox serves.
pub(crate) const CONTACT_TYPES: [&str; 2] = ["customers", "vendors"];

const FIRST_NAMES: [&str; 16] = [
    "Jane", "John", "Maria", "Wei", "Aisha", "Carlos", "Olga", "Kenji", "Fatima", "Liam", "Priya",
    "Noah", "Sofia", "Mateo", "Chloe", "Omar",
];
const LAST_NAMES: [&str; 16] = [
    "Doe", "Smith", "Garcia", "Chen", "Khan", "Rossi", "Ivanova", "Tanaka", "Haddad", "Murphy",
    "Patel", "Brown", "Lopez", "Silva", "Martin", "Nguyen",
];
const COMPANY_WORDS: [&str; 12] = [
    "Acme",
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
];
const COMPANY_SUFFIXES: [&str; 4] = ["LLC", "Inc.", "Consulting", "Supply Co."];

/// One contact, serialised as the spec's `Contact`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Contact {
    pub id: String,
    pub contact_type: &'static str,
    pub first_name: Option<&'static str>,
    pub last_name: Option<&'static str>,
    pub business_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
}

fn pick<T: Copy>(list: &[T], h: u64) -> Option<T> {
    let len = u64::try_from(list.len()).ok().filter(|l| *l > 0)?;
    list.get(usize::try_from(h % len).ok()?).copied()
}

/// Contact `j` of business `(u, b)`.
pub(crate) fn contact(data: &Dataset, u: usize, b: usize, j: usize) -> Contact {
    let h = hash(data.seed, &[10, u as u64, b as u64, j as u64]);
    // The first half of the id is a bijection of the global index, so ids never collide.
    let global = ((u as u64)
        .wrapping_mul(data.businesses_per_user as u64)
        .wrapping_add(b as u64))
    .wrapping_mul(data.contacts_per_business as u64)
    .wrapping_add(j as u64);
    let id = format!("bcus-{}", uuid_like(mix(global ^ mix(data.seed)), h));
    let contact_type = if (j + u + b) % 3 == 2 {
        CONTACT_TYPES[1]
    } else {
        CONTACT_TYPES[0]
    };
    let company = format!(
        "{} {}",
        pick(&COMPANY_WORDS, h >> 8).unwrap_or("Acme"),
        pick(&COMPANY_SUFFIXES, h >> 16).unwrap_or("LLC")
    );
    let slug: String = company
        .split(' ')
        .next()
        .unwrap_or("acme")
        .to_ascii_lowercase();
    let phone_number = (!h.is_multiple_of(11))
        .then(|| format!("+1{}{:07}", 200 + (h >> 20) % 800, (h >> 32) % 10_000_000));
    let is_business = h.is_multiple_of(4);
    if is_business {
        Contact {
            id,
            contact_type,
            first_name: None,
            last_name: None,
            email: Some(format!("billing@{slug}.example.com")),
            business_name: Some(company),
            phone_number,
        }
    } else {
        let first = pick(&FIRST_NAMES, h >> 24).unwrap_or("Jane");
        let last = pick(&LAST_NAMES, h >> 28).unwrap_or("Doe");
        Contact {
            id,
            contact_type,
            first_name: Some(first),
            last_name: Some(last),
            email: Some(format!(
                "{}.{}{}@example.com",
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase(),
                j
            )),
            business_name: (h >> 40).is_multiple_of(2).then_some(company),
            phone_number,
        }
    }
}

/// The indexes of the contacts of `(u, b)` whose type is `type_filter` (all
/// if `None`), newest first.
pub(crate) fn matching(
    data: &Dataset,
    u: usize,
    b: usize,
    type_filter: Option<&str>,
) -> Vec<usize> {
    (0..data.contacts_per_business)
        .filter(|j| type_filter.is_none_or(|t| contact(data, u, b, *j).contact_type == t))
        .collect()
}
