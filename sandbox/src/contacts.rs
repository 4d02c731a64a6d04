//! Contacts of a business: contact `j` of a business is a pure function of
//! (seed, business key, j), the key being a hash of the seed and both ids;
//! contact 0 is the newest.

use serde::Serialize;

use crate::data::{Business, Dataset, hash, uuid_like};

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

/// Contact `j` of `business`.
pub(crate) fn contact(data: &Dataset, business: Business, j: usize) -> Contact {
    let h = hash(data.seed, &[10, business.key, j as u64]);
    // 128 bits hashed from the pair's key and the index: ids do not collide
    // across businesses in practice.
    let id = format!(
        "bcus-{}",
        uuid_like(hash(data.seed, &[11, business.key, j as u64]), h)
    );
    let contact_type = if (business.key % 3).wrapping_add(j as u64) % 3 == 2 {
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

/// The indexes of the contacts of `business` whose type is `type_filter`
/// (all if `None`), newest first.
pub(crate) fn matching(
    data: &Dataset,
    business: Business,
    type_filter: Option<&str>,
) -> Vec<usize> {
    (0..business.contacts)
        .filter(|j| type_filter.is_none_or(|t| contact(data, business, *j).contact_type == t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn contact_ids_are_distinct_across_businesses() {
        let data = Dataset::new(3, 1, 1, 40, 1);
        let mut ids = HashSet::new();
        for n in 0..250 {
            let business = data.business("user-1", &format!("buss-{n}"));
            assert_eq!(business.map(|b| b.contacts), Ok(40));
            if let Ok(business) = business {
                for j in 0..business.contacts {
                    assert!(ids.insert(contact(&data, business, j).id));
                }
            }
        }
        assert_eq!(ids.len(), 250 * 40);
    }
}
