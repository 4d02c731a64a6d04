//! The sandbox's data set: users, businesses, and the shared helpers that
//! make every value a pure function of the seed and an index.
//!
//! Nothing per item is stored; contacts and payment intents are computed on
//! demand (see `contacts.rs` and `intents.rs`).

use std::collections::HashMap;

/// Sizes and seed of a data set.
#[derive(Clone, Debug)]
pub(crate) struct Dataset {
    pub seed: u64,
    pub users: usize,
    pub businesses_per_user: usize,
    pub contacts_per_business: usize,
    /// Clamped to `u32::MAX` so that filtered index lists can be `Vec<u32>`.
    pub payment_intents: u32,
    /// (user_id, business_id) → (user index, business index).
    businesses: HashMap<(String, String), (usize, usize)>,
}

impl Dataset {
    pub fn new(
        seed: u64,
        users: usize,
        businesses_per_user: usize,
        contacts_per_business: usize,
        payment_intents: u64,
    ) -> Dataset {
        let mut dataset = Dataset {
            seed,
            users,
            businesses_per_user,
            contacts_per_business,
            payment_intents: u32::try_from(payment_intents).unwrap_or(u32::MAX),
            businesses: HashMap::new(),
        };
        let pairs: Vec<_> = dataset.business_pairs().collect();
        dataset.businesses = pairs.into_iter().collect();
        dataset
    }

    /// Every ((user_id, business_id), (u, b)) of the data set.
    fn business_pairs(&self) -> impl Iterator<Item = ((String, String), (usize, usize))> + '_ {
        (0..self.users).flat_map(move |u| {
            (0..self.businesses_per_user)
                .map(move |b| ((self.user_id(u), self.business_id(u, b)), (u, b)))
        })
    }

    /// The (user_id, business_id) pairs that have contacts, in index order.
    pub fn businesses_with_contacts(&self) -> Vec<(String, String)> {
        if self.contacts_per_business == 0 {
            return Vec::new();
        }
        self.business_pairs().map(|(ids, _)| ids).collect()
    }

    /// The (user index, business index) of a known pair.
    pub fn find_business(&self, user_id: &str, business_id: &str) -> Option<(usize, usize)> {
        self.businesses
            .get(&(user_id.to_owned(), business_id.to_owned()))
            .copied()
    }

    pub fn user_id(&self, u: usize) -> String {
        prefixed_uuid("user", self.seed, &[TAG_USER, u as u64])
    }

    pub fn business_id(&self, u: usize, b: usize) -> String {
        prefixed_uuid("buss", self.seed, &[TAG_BUSINESS, u as u64, b as u64])
    }

    pub fn program_id(&self) -> String {
        prefixed_uuid("prog", self.seed, &[TAG_PROGRAM])
    }
}

const TAG_USER: u64 = 1;
const TAG_BUSINESS: u64 = 2;
const TAG_PROGRAM: u64 = 3;

/// SplitMix64's finaliser: a bijection on u64 with good avalanche.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of the seed and a list of words.
pub(crate) fn hash(seed: u64, words: &[u64]) -> u64 {
    words.iter().fold(mix(seed), |acc, w| {
        mix(acc ^ mix(*w ^ 0x5851_F42D_4C95_7F2D))
    })
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` from 128 bits.
pub(crate) fn uuid_like(hi: u64, lo: u64) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// `prefix-<uuid-like>` derived from the seed and `words`.
pub(crate) fn prefixed_uuid(prefix: &str, seed: u64, words: &[u64]) -> String {
    let hi = hash(seed, words);
    let lo = mix(hi ^ 0xD6E8_FEB8_6659_FD93);
    format!("{prefix}-{}", uuid_like(hi, lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn businesses_are_found_by_id() {
        let data = Dataset::new(7, 3, 2, 5, 10);
        let pairs = data.businesses_with_contacts();
        assert_eq!(pairs.len(), 6);
        for (i, (user, business)) in pairs.iter().enumerate() {
            assert_eq!(data.find_business(user, business), Some((i / 2, i % 2)));
        }
        assert_eq!(data.find_business(&pairs[0].0, &pairs[3].1), None);
        assert!(pairs[0].0.starts_with("user-") && pairs[0].1.starts_with("buss-"));
    }
}
