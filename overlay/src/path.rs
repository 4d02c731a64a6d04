//! The JSONPath (RFC 9535) that overlay targets are written in, as far as an
//! overlay needs it: `$`, member names (`.name`, `['name']`), indexes,
//! wildcards (`.*`, `[*]`), and filters comparing the item or a member of it
//! with a literal (`[?@ == 'x']`, `[?@.name == 'x']`, `[?@.deprecated]`).
//! Anything else is refused with a message that says what is not supported,
//! never misread.

use serde_yaml::Value;

/// One step from a node to a child.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Selector {
    Name(String),
    Index(i64),
    Wildcard,
    /// `[?@<members> (== literal)?]`: the item (or its member) equals the
    /// literal, or (with no literal) exists.
    Filter {
        members: Vec<String>,
        equals: Option<Value>,
    },
}

/// A parsed target.
#[derive(Debug, Clone, PartialEq)]
pub struct Path(Vec<Selector>);

impl Path {
    /// Parse `text`; the error says where and what is not supported.
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut p = Parser { text, at: 0 };
        p.expect('$')?;
        let mut selectors = Vec::new();
        while let Some(c) = p.peek() {
            match c {
                '.' => {
                    p.at += 1;
                    match p.peek() {
                        Some('.') => return Err(p.unsupported("descendant segments (`..`)")),
                        Some('*') => {
                            p.at += 1;
                            selectors.push(Selector::Wildcard);
                        }
                        _ => selectors.push(Selector::Name(p.shorthand()?)),
                    }
                }
                '[' => {
                    p.at += 1;
                    p.spaces();
                    selectors.push(p.bracketed()?);
                    p.spaces();
                    p.expect(']')?;
                }
                _ => return Err(p.error("`.` or `[`")),
            }
        }
        Ok(Path(selectors))
    }

    /// Every node of `root` the path selects, as the steps from the root.
    pub fn select(&self, root: &Value) -> Vec<Vec<Step>> {
        let mut found: Vec<(Vec<Step>, &Value)> = vec![(Vec::new(), root)];
        for selector in &self.0 {
            let mut next = Vec::new();
            for (steps, node) in found {
                for (step, child) in children(node, selector) {
                    let mut steps = steps.clone();
                    steps.push(step);
                    next.push((steps, child));
                }
            }
            found = next;
        }
        found.into_iter().map(|(steps, _)| steps).collect()
    }
}

/// The children of `node` a selector picks.
fn children<'a>(node: &'a Value, selector: &Selector) -> Vec<(Step, &'a Value)> {
    let entries: Vec<(Step, &Value)> = match node {
        Value::Mapping(map) => map
            .iter()
            .filter_map(|(k, v)| k.as_str().map(|k| (Step::Key(k.to_string()), v)))
            .collect(),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (Step::Index(i), v))
            .collect(),
        _ => Vec::new(),
    };
    match selector {
        Selector::Wildcard => entries,
        Selector::Name(name) => entries
            .into_iter()
            .filter(|(s, _)| matches!(s, Step::Key(k) if k == name))
            .collect(),
        Selector::Index(i) => {
            let len = i64::try_from(entries.len()).unwrap_or(i64::MAX);
            let at = if *i < 0 { len + i } else { *i };
            match node {
                Value::Sequence(_) => entries
                    .into_iter()
                    .filter(
                        |(s, _)| matches!(s, Step::Index(n) if i64::try_from(*n).ok() == Some(at)),
                    )
                    .collect(),
                _ => Vec::new(),
            }
        }
        Selector::Filter { members, equals } => entries
            .into_iter()
            .filter(|(_, item)| {
                let found = members.iter().try_fold(*item, |v, m| {
                    v.as_mapping().and_then(|map| map.get(m.as_str()))
                });
                match (found, equals) {
                    (Some(v), Some(literal)) => v == literal,
                    (Some(_), None) => true,
                    (None, _) => false,
                }
            })
            .collect(),
    }
}

struct Parser<'t> {
    text: &'t str,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn error(&self, wanted: &str) -> String {
        format!(
            "JSONPath `{}`: expected {wanted} at character {}",
            self.text,
            self.at + 1
        )
    }

    fn unsupported(&self, what: &str) -> String {
        format!(
            "JSONPath `{}`: {what} are not supported here (names, indexes, `*` and `[?@… == literal]` filters are)",
            self.text
        )
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            Ok(())
        } else {
            Err(self.error(&format!("`{c}`")))
        }
    }

    fn spaces(&mut self) {
        while self.peek().is_some_and(|c| c == ' ') {
            self.at += 1;
        }
    }

    /// A member-name shorthand: a letter, `_` or non-ASCII, then those or digits.
    fn shorthand(&mut self) -> Result<String, String> {
        let start = self.at;
        while let Some(c) = self.peek() {
            let first = self.at == start;
            let ok =
                c.is_alphabetic() || c == '_' || !c.is_ascii() || (!first && c.is_ascii_digit());
            if !ok {
                break;
            }
            self.at += c.len_utf8();
        }
        if self.at == start {
            return Err(self.error("a member name (or write it as ['name'])"));
        }
        Ok(self.text[start..self.at].to_string())
    }

    fn bracketed(&mut self) -> Result<Selector, String> {
        match self.peek() {
            Some('\'' | '"') => Ok(Selector::Name(self.string()?)),
            Some('*') => {
                self.at += 1;
                Ok(Selector::Wildcard)
            }
            Some('?') => {
                self.at += 1;
                self.spaces();
                self.filter()
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start = self.at;
                self.at += 1;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.at += 1;
                }
                let text = &self.text[start..self.at];
                if self.peek() == Some(':') {
                    return Err(self.unsupported("slices"));
                }
                text.parse()
                    .map(Selector::Index)
                    .map_err(|_| self.error("an index"))
            }
            _ => Err(self.error("a quoted name, an index, `*` or a `?` filter")),
        }
    }

    /// A quoted string, `'…'` or `"…"`, with `\` escapes of the quote and `\`.
    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().ok_or_else(|| self.error("a quote"))?;
        self.at += 1;
        let mut out = String::new();
        loop {
            let c = self.peek().ok_or_else(|| self.error("a closing quote"))?;
            self.at += c.len_utf8();
            match c {
                '\\' => {
                    let escaped = self
                        .peek()
                        .ok_or_else(|| self.error("an escaped character"))?;
                    self.at += escaped.len_utf8();
                    match escaped {
                        '\\' | '\'' | '"' | '/' => out.push(escaped),
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        _ => {
                            return Err(
                                self.unsupported("escapes other than \\\\, \\', \\\", \\n, \\t")
                            );
                        }
                    }
                }
                c if c == quote => return Ok(out),
                c => out.push(c),
            }
        }
    }

    fn filter(&mut self) -> Result<Selector, String> {
        self.expect('@')?;
        let mut members = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    self.at += 1;
                    members.push(self.shorthand()?);
                }
                Some('[') => {
                    self.at += 1;
                    members.push(self.string()?);
                    self.expect(']')?;
                }
                _ => break,
            }
        }
        self.spaces();
        if self.peek() == Some(']') {
            return Ok(Selector::Filter {
                members,
                equals: None,
            });
        }
        if !self.text[self.at..].starts_with("==") {
            return Err(self.unsupported("comparisons other than `==`, and `&&`/`||`,"));
        }
        self.at += 2;
        self.spaces();
        let equals = match self.peek() {
            Some('\'' | '"') => Value::String(self.string()?),
            _ => {
                let start = self.at;
                while self.peek().is_some_and(|c| c != ']' && c != ' ') {
                    self.at += 1;
                }
                let text = &self.text[start..self.at];
                match text {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => serde_yaml::from_str::<Value>(text)
                        .ok()
                        .filter(Value::is_number)
                        .ok_or_else(|| self.error("a string, number, true, false or null"))?,
                }
            }
        };
        Ok(Selector::Filter {
            members,
            equals: Some(equals),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_yaml::from_str(
            "components:\n  schemas:\n    A:\n      required: [id, currency]\n      properties:\n        id: {type: string}\n    B-2:\n      enum: [x, y]\n",
        )
        .unwrap()
    }

    fn select(path: &str) -> Vec<Vec<Step>> {
        Path::parse(path).unwrap().select(&doc())
    }

    fn key(k: &str) -> Step {
        Step::Key(k.into())
    }

    #[test]
    fn names_indexes_wildcards_and_filters() {
        assert_eq!(
            select("$.components.schemas.A.properties"),
            vec![vec![
                key("components"),
                key("schemas"),
                key("A"),
                key("properties")
            ]]
        );
        assert_eq!(
            select("$['components']['schemas']['B-2'].enum[-1]"),
            vec![vec![
                key("components"),
                key("schemas"),
                key("B-2"),
                key("enum"),
                Step::Index(1)
            ]]
        );
        assert_eq!(select("$.components.schemas.*").len(), 2);
        assert_eq!(
            select("$.components.schemas.A.required[?@ == 'currency']"),
            vec![vec![
                key("components"),
                key("schemas"),
                key("A"),
                key("required"),
                Step::Index(1)
            ]]
        );
        assert_eq!(select("$.components.schemas[?@.enum]").len(), 1);
        assert!(select("$.components.nothing").is_empty());
    }

    #[test]
    fn what_is_not_supported_is_said() {
        assert!(
            Path::parse("$..properties")
                .unwrap_err()
                .contains("descendant")
        );
        assert!(Path::parse("$.a[0:2]").unwrap_err().contains("slices"));
        assert!(
            Path::parse("$.a[?@.b > 1]")
                .unwrap_err()
                .contains("comparisons")
        );
        assert!(
            Path::parse("components")
                .unwrap_err()
                .contains("expected `$`")
        );
    }
}
