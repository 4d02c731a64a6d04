//! The sandbox's data set: the shared helpers that make every value a pure
//! function of the seed and an index or an id, and the businesses a caller
//! addresses by (user_id, business_id).
//!
//! Nothing per item is stored; contacts and payment intents are computed on
//! demand (see `contacts.rs` and `intents.rs`). Any pair of ids names a
//! business: its contacts derive from a hash of the two ids, so callers can
//! pick their own ids, except the reserved ones below.

/// A business id starting with this answers 404 "business not found".
pub const NOT_FOUND_BUSINESS_ID: &str = "buss-not-found";
/// A user id starting with this answers 404 "user not found".
pub const NOT_FOUND_USER_ID: &str = "user-not-found";
/// A business id starting with this exists and has no contacts.
pub const EMPTY_BUSINESS_ID: &str = "buss-empty";

/// Sizes and seed of a data set.
#[derive(Clone, Debug)]
pub(crate) struct Dataset {
    pub seed: u64,
    pub users: usize,
    pub businesses_per_user: usize,
    pub contacts_per_business: usize,
    /// Clamped to `u32::MAX` so that filtered index lists can be `Vec<u32>`.
    pub payment_intents: u32,
}

/// A business as the contacts operation sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Business {
    /// A hash of the seed and both ids; every contact derives from it.
    pub key: u64,
    /// How many contacts it has.
    pub contacts: usize,
}

/// Why a (user_id, business_id) pair names no business.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    User,
    Business,
}

impl Dataset {
    pub fn new(
        seed: u64,
        users: usize,
        businesses_per_user: usize,
        contacts_per_business: usize,
        payment_intents: u64,
    ) -> Dataset {
        Dataset {
            seed,
            users,
            businesses_per_user,
            contacts_per_business,
            payment_intents: u32::try_from(payment_intents).unwrap_or(u32::MAX),
        }
    }

    /// Example (user_id, business_id) pairs that have contacts, in index
    /// order: `users` × `businesses_per_user` of them (none if businesses
    /// have no contacts). Any other pair of ids serves contacts too.
    pub fn businesses_with_contacts(&self) -> Vec<(String, String)> {
        if self.contacts_per_business == 0 {
            return Vec::new();
        }
        (0..self.users)
            .flat_map(|u| {
                (0..self.businesses_per_user)
                    .map(move |b| (self.user_id(u), self.business_id(u, b)))
            })
            .collect()
    }

    /// The business named by a pair of ids: every pair names one, with
    /// `contacts_per_business` contacts, except the reserved ids.
    pub fn business(&self, user_id: &str, business_id: &str) -> Result<Business, Missing> {
        if user_id.starts_with(NOT_FOUND_USER_ID) {
            return Err(Missing::User);
        }
        if business_id.starts_with(NOT_FOUND_BUSINESS_ID) {
            return Err(Missing::Business);
        }
        let contacts = if business_id.starts_with(EMPTY_BUSINESS_ID) {
            0
        } else {
            self.contacts_per_business
        };
        Ok(Business {
            key: hash(
                self.seed,
                &[TAG_PAIR, hash_str(user_id), hash_str(business_id)],
            ),
            contacts,
        })
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
const TAG_PAIR: u64 = 4;

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

/// A hash of a string, stable across platforms and Rust releases (unlike
/// std's `DefaultHasher`): its length, then its bytes eight at a time.
pub(crate) fn hash_str(s: &str) -> u64 {
    s.as_bytes()
        .chunks(8)
        .fold(mix(s.len() as u64 ^ 0x2545_F491_4F6C_DD1D), |acc, chunk| {
            let mut word = [0u8; 8];
            for (slot, byte) in word.iter_mut().zip(chunk) {
                *slot = *byte;
            }
            mix(acc ^ mix(u64::from_le_bytes(word)))
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
    fn every_pair_is_a_business_except_the_reserved_ones() {
        let data = Dataset::new(7, 3, 2, 5, 10);
        let pairs = data.businesses_with_contacts();
        assert_eq!(pairs.len(), 6);
        assert!(pairs[0].0.starts_with("user-") && pairs[0].1.starts_with("buss-"));
        let key = |u: &str, b: &str| data.business(u, b).map(|b| b.key);
        for (user, business) in &pairs {
            assert_eq!(data.business(user, business).map(|b| b.contacts), Ok(5));
        }
        assert_eq!(key("user-a", "buss-b"), key("user-a", "buss-b"));
        assert_ne!(key("user-a", "buss-b"), key("user-a", "buss-c"));
        assert_ne!(key("user-a", "buss-b"), key("user-x", "buss-b"));
        // The boundary between the two ids matters.
        assert_ne!(key("ab", "c"), key("a", "bc"));
        assert_ne!(
            key("u", "b"),
            Dataset::new(8, 3, 2, 5, 10)
                .business("u", "b")
                .map(|b| b.key)
        );
        assert_eq!(
            data.business("u", NOT_FOUND_BUSINESS_ID),
            Err(Missing::Business)
        );
        assert_eq!(
            data.business("u", "buss-not-found-2"),
            Err(Missing::Business)
        );
        assert_eq!(data.business(NOT_FOUND_USER_ID, "b"), Err(Missing::User));
        assert_eq!(
            data.business("u", EMPTY_BUSINESS_ID).map(|b| b.contacts),
            Ok(0)
        );
        assert!(
            Dataset::new(7, 3, 2, 0, 10)
                .businesses_with_contacts()
                .is_empty()
        );
    }

    #[test]
    fn string_hashes_differ_for_nearby_strings() {
        let words = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "a\0",
            "abcdefgh",
            "abcdefghi",
            "abcdefgi",
        ];
        let hashes: std::collections::HashSet<u64> = words.iter().map(|w| hash_str(w)).collect();
        assert_eq!(hashes.len(), words.len());
    }
}
