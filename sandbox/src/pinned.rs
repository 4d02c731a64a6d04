//! Pinned data: the items a list operation serves instead of generated ones,
//! from a JSON array or NDJSON (one item per line) file, or given in code.
//! Every item is checked against the item schema at start; a bad one stops
//! the start with the file, the item's index (and line) and the field.

use std::io::Read as _;
use std::path::PathBuf;

use serde_json::Value;

use crate::schema_check::check;
use crate::setup::SetupError;
use crate::spec::Spec;

/// The largest pinned data file read.
pub const MAX_PINNED_BYTES: u64 = 64 * 1024 * 1024;

/// Where pinned items come from.
#[derive(Clone, Debug, PartialEq)]
pub enum PinnedSource {
    /// A file: a JSON array of items, or NDJSON (one item per line).
    File(PathBuf),
    /// Items given in code.
    Items(Vec<Value>),
}

/// The items of `source`, each checked against `item`.
pub(crate) fn load(
    spec: &Spec,
    item: &Value,
    source: &PinnedSource,
) -> Result<Vec<Value>, SetupError> {
    let (name, items) = match source {
        PinnedSource::Items(items) => (
            "items".to_owned(),
            items.iter().cloned().map(|v| (None, v)).collect(),
        ),
        PinnedSource::File(path) => {
            let name = path.display().to_string();
            let items = read(path).map_err(|problem| SetupError::Data {
                source_name: name.clone(),
                problem,
            })?;
            (name, items)
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (index, (line, value)) in items.into_iter().enumerate() {
        if let Err(v) = check(spec, item, &value, "") {
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let field = if v.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", v.path)
            };
            return Err(SetupError::Data {
                source_name: name,
                problem: format!(
                    "item {index}{at} does not match the item schema: {field}{}",
                    v.reason
                ),
            });
        }
        out.push(value);
    }
    Ok(out)
}

/// The items of a file, with the line of each for NDJSON.
fn read(path: &std::path::Path) -> Result<Vec<(Option<usize>, Value)>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut text = String::new();
    file.take(MAX_PINNED_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read as UTF-8 text: {e}"))?;
    if text.len() as u64 > MAX_PINNED_BYTES {
        return Err(format!("larger than {MAX_PINNED_BYTES} bytes"));
    }
    if text.trim_start().starts_with('[') {
        let items: Vec<Value> =
            serde_json::from_str(&text).map_err(|e| format!("not a JSON array of items: {e}"))?;
        return Ok(items.into_iter().map(|v| (None, v)).collect());
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line)
                .map(|v| (Some(n + 1), v))
                .map_err(|e| format!("line {}: not JSON: {e}", n + 1))
        })
        .collect()
}
