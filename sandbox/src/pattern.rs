//! A string matching a `pattern`, sampled from the pattern's syntax tree
//! (regex-syntax's HIR): literals as written, a class's character chosen by a
//! hash, repetitions a few times past their minimum. The caller checks the
//! result with the ECMA-262 engine (regress); a pattern regex-syntax cannot
//! read (look-arounds, back-references) gives `None`.

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::data::mix;

/// The longest sample built.
const MAX_LEN: usize = 4096;
/// How far past its minimum a repetition may go.
const EXTRA_REPEATS: u32 = 3;

/// A string matching `pattern`, chosen by `key`; unbounded repetitions
/// (`+`, `*`, `{n,}`) repeat at least `stretch` times (to reach a `minLength`).
pub(crate) fn sample(pattern: &str, key: u64, stretch: u32) -> Option<String> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let mut out = String::new();
    let mut walker = Walker {
        state: key,
        stretch: stretch.min(MAX_LEN as u32),
    };
    walker.walk(&hir, &mut out, 0)?;
    Some(out)
}

struct Walker {
    state: u64,
    stretch: u32,
}

impl Walker {
    fn next(&mut self) -> u64 {
        self.state = mix(self.state);
        self.state
    }

    fn walk(&mut self, hir: &Hir, out: &mut String, depth: usize) -> Option<()> {
        if depth > 64 || out.len() > MAX_LEN {
            return None;
        }
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(literal) => out.push_str(std::str::from_utf8(&literal.0).ok()?),
            HirKind::Class(class) => out.push(pick(class, self.next())?),
            HirKind::Repetition(rep) => {
                let least = match rep.max {
                    None => rep.min.max(self.stretch),
                    Some(_) => rep.min,
                };
                let spread = rep
                    .max
                    .unwrap_or(u32::MAX)
                    .saturating_sub(least)
                    .min(EXTRA_REPEATS);
                let count = least.saturating_add((self.next() % u64::from(spread + 1)) as u32);
                for _ in 0..count {
                    self.walk(&rep.sub, out, depth + 1)?;
                }
            }
            HirKind::Capture(capture) => self.walk(&capture.sub, out, depth + 1)?,
            HirKind::Concat(parts) => {
                for part in parts {
                    self.walk(part, out, depth + 1)?;
                }
            }
            HirKind::Alternation(branches) => {
                let n = branches.len().max(1) as u64;
                let branch = branches.get((self.next() % n) as usize)?;
                self.walk(branch, out, depth + 1)?;
            }
        }
        Some(())
    }
}

/// A character of `class`, printable ASCII when the class has any.
fn pick(class: &Class, h: u64) -> Option<char> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let printable: Vec<(u32, u32)> = ranges
        .iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (a.max(0x21), b.min(0x7e));
            (a <= b).then_some((a, b))
        })
        .collect();
    let pool = if printable.is_empty() {
        &ranges
    } else {
        &printable
    };
    let (a, b) = *pool.get((h % pool.len().max(1) as u64) as usize)?;
    let offset = (h >> 16) % u64::from(b - a + 1);
    char::from_u32(a + offset as u32).or_else(|| char::from_u32(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_match_their_pattern() {
        for pattern in [
            r"^\d{9}$",
            r"^\d+$",
            r"^\d{5}(-\d{4})?$",
            "^[A-Z]{2}-[a-f0-9]{4,8}$",
            "x|yz",
            "^(ach|wire)$",
            r"\w+@\w+\.com",
        ] {
            let re = regress::Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"));
            for key in 0..50 {
                let s = sample(pattern, key, 0).unwrap_or_default();
                assert!(re.find(&s).is_some(), "{pattern}: {s:?}");
            }
        }
        assert!(sample(r"^\d+$", 3, 12).is_some_and(|s| s.len() >= 12));
        assert_eq!(sample("(?=x)x", 1, 0), None);
    }
}
