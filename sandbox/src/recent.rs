//! The few most recent filter results, so that walking every page of a
//! large filtered set is linear rather than quadratic.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many results are kept, most recent first.
const ENTRIES: usize = 4;

/// Selected item indexes by filter, the most recent [`ENTRIES`] of them.
#[derive(Debug)]
pub(crate) struct Recent<K> {
    entries: Mutex<VecDeque<(K, Arc<Vec<u32>>)>>,
}

impl<K> Default for Recent<K> {
    fn default() -> Self {
        Recent {
            entries: Mutex::new(VecDeque::new()),
        }
    }
}

impl<K: PartialEq> Recent<K> {
    /// The result kept for `key`, moved to the front.
    pub fn get(&self, key: &K) -> Option<Arc<Vec<u32>>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let at = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(at)?;
        let list = Arc::clone(&entry.1);
        entries.push_front(entry);
        Some(list)
    }

    /// Keeps `list` for `key`, dropping the oldest result past [`ENTRIES`].
    pub fn put(&self, key: K, list: Arc<Vec<u32>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.push_front((key, list));
        entries.truncate(ENTRIES);
    }
}
