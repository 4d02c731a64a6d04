//! Fault injection: rules that make the sandbox misbehave like a real
//! gateway or backend sometimes does.
//!
//! Rules are consulted only for requests that passed authentication, so a
//! retrying client's every attempt is still verified and logged. A rule
//! counts the requests it matches (its [`FaultScope::operation`]); it fires
//! on every Kth of them if [`FaultScope::every_kth`] is set, and at most
//! [`FaultScope::first_n`] times if that is set.

use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What a fault does to the response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status and the error envelope instead of serving.
    /// `retry_after` (`"2"` or an HTTP date) becomes a `Retry-After` header.
    Status {
        /// The HTTP status code.
        code: u16,
        /// The `Retry-After` value, if any.
        retry_after: Option<String>,
    },
    /// Wait this long (real time), then serve normally.
    Delay(Duration),
    /// Send the status line, the headers and part of the body, then reset the connection.
    DropConnection,
    /// Send a body shorter than its `Content-Length`, then close the connection.
    TruncatedBody,
    /// Answer 200 with a JSON body that does not parse.
    MalformedJson,
    /// Answer with this status and a `text/html` page like a proxy's error page.
    HtmlErrorPage {
        /// The HTTP status code.
        code: u16,
    },
    /// One payment intent of the page gets status `under_review` and direction `sideways`.
    UnknownEnumValue,
    /// Unknown fields are added to the envelope, `data`, `pagination` and every item.
    ExtraFields,
    /// The page holds fewer items than `per_page` although `total` says more exist.
    ShortPage,
    /// The requested page is ignored and page 1's items are served (the
    /// pagination echo still names the requested page).
    RepeatPage,
}

/// Which requests a rule applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultScope {
    /// A path suffix such as `"/payment-intent/program/all"`; `None` matches every path.
    pub operation: Option<String>,
    /// Fire at most this many times (from when the rule was added).
    pub first_n: Option<u32>,
    /// Fire only on every Kth matching request (the Kth, 2Kth, …).
    pub every_kth: Option<u32>,
}

/// A fault and the requests it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// What happens.
    pub kind: FaultKind,
    /// To which requests.
    pub scope: FaultScope,
}

impl FaultRule {
    /// A rule that applies to every authenticated request.
    pub fn new(kind: FaultKind) -> FaultRule {
        FaultRule {
            kind,
            scope: FaultScope::default(),
        }
    }

    /// Shorthand for a [`FaultKind::Status`] rule.
    pub fn status(code: u16, retry_after: Option<&str>) -> FaultRule {
        FaultRule::new(FaultKind::Status {
            code,
            retry_after: retry_after.map(str::to_owned),
        })
    }

    /// Fire at most `n` times.
    pub fn first(mut self, n: u32) -> FaultRule {
        self.scope.first_n = Some(n);
        self
    }

    /// Fire on every `k`th matching request only.
    pub fn every(mut self, k: u32) -> FaultRule {
        self.scope.every_kth = Some(k);
        self
    }

    /// Match only requests whose path ends with `path_suffix`.
    pub fn only(mut self, path_suffix: &str) -> FaultRule {
        self.scope.operation = Some(path_suffix.to_owned());
        self
    }
}

impl From<FaultKind> for FaultRule {
    fn from(kind: FaultKind) -> FaultRule {
        FaultRule::new(kind)
    }
}

/// Error from parsing a fault specification such as `status:429:2`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid fault {0:?}: expected one of status:CODE[:RETRY_AFTER], delay:MILLIS, drop, truncate, malformed-json, html:CODE, unknown-enum, extra-fields, short-page, repeat-page"
)]
pub struct ParseFaultError(pub String);

impl FromStr for FaultKind {
    type Err = ParseFaultError;

    /// Parses `KIND[:ARG]`: `status:CODE[:RETRY_AFTER]`, `delay:MILLIS`,
    /// `drop`, `truncate`, `malformed-json`, `html:CODE`, `unknown-enum`,
    /// `extra-fields`, `short-page`, `repeat-page`.
    fn from_str(s: &str) -> Result<FaultKind, ParseFaultError> {
        let err = || ParseFaultError(s.to_owned());
        let mut parts = s.splitn(3, ':');
        let kind = parts.next().unwrap_or_default();
        let arg = parts.next();
        let extra = parts.next();
        let code = |a: Option<&str>| -> Result<u16, ParseFaultError> {
            a.and_then(|c| c.parse::<u16>().ok())
                .filter(|c| (100..=999).contains(c))
                .ok_or_else(err)
        };
        let no_arg = |k: FaultKind| {
            if arg.is_none() { Ok(k) } else { Err(err()) }
        };
        match kind {
            "status" => Ok(FaultKind::Status {
                code: code(arg)?,
                retry_after: extra.map(str::to_owned),
            }),
            _ if extra.is_some() => Err(err()),
            "delay" => arg
                .and_then(|ms| ms.parse::<u64>().ok())
                .map(|ms| FaultKind::Delay(Duration::from_millis(ms)))
                .ok_or_else(err),
            "html" => Ok(FaultKind::HtmlErrorPage { code: code(arg)? }),
            "drop" => no_arg(FaultKind::DropConnection),
            "truncate" => no_arg(FaultKind::TruncatedBody),
            "malformed-json" => no_arg(FaultKind::MalformedJson),
            "unknown-enum" => no_arg(FaultKind::UnknownEnumValue),
            "extra-fields" => no_arg(FaultKind::ExtraFields),
            "short-page" => no_arg(FaultKind::ShortPage),
            "repeat-page" => no_arg(FaultKind::RepeatPage),
            _ => Err(err()),
        }
    }
}

#[derive(Debug)]
struct ActiveRule {
    rule: FaultRule,
    matched: u64,
    fired: u64,
}

/// The sandbox's live set of fault rules; shared, thread-safe, changeable
/// while the sandbox serves.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<ActiveRule>>>,
}

impl Faults {
    /// A set holding `rules`.
    pub fn new(rules: Vec<FaultRule>) -> Faults {
        let faults = Faults::default();
        for rule in rules {
            faults.add(rule);
        }
        faults
    }

    /// Adds a rule (its counters start at zero).
    pub fn add(&self, rule: impl Into<FaultRule>) {
        self.lock().push(ActiveRule {
            rule: rule.into(),
            matched: 0,
            fired: 0,
        });
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The rules currently installed.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.lock().iter().map(|a| a.rule.clone()).collect()
    }

    /// Counts one authenticated request to `path` against every rule and
    /// returns the kinds of the rules that fire for it, in rule order.
    pub(crate) fn select(&self, path: &str) -> Vec<FaultKind> {
        let mut fired = Vec::new();
        for active in self.lock().iter_mut() {
            let scope = &active.rule.scope;
            if scope
                .operation
                .as_deref()
                .is_some_and(|op| !path.ends_with(op))
            {
                continue;
            }
            active.matched += 1;
            let on_beat = scope
                .every_kth
                .is_none_or(|k| k != 0 && active.matched % u64::from(k) == 0);
            let within = scope.first_n.is_none_or(|n| active.fired < u64::from(n));
            if on_beat && within {
                active.fired += 1;
                fired.push(active.rule.kind.clone());
            }
        }
        fired
    }

    fn lock(&self) -> MutexGuard<'_, Vec<ActiveRule>> {
        self.rules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds() {
        assert_eq!(
            "status:429:Fri, 17 Jan 2020 19:59:29 GMT".parse(),
            Ok(FaultKind::Status {
                code: 429,
                retry_after: Some("Fri, 17 Jan 2020 19:59:29 GMT".into())
            })
        );
        assert_eq!(
            "status:503".parse(),
            Ok(FaultKind::Status {
                code: 503,
                retry_after: None
            })
        );
        assert_eq!(
            "delay:250".parse(),
            Ok(FaultKind::Delay(Duration::from_millis(250)))
        );
        assert_eq!(
            "html:502".parse(),
            Ok(FaultKind::HtmlErrorPage { code: 502 })
        );
        assert_eq!("drop".parse(), Ok(FaultKind::DropConnection));
        assert!("drop:1".parse::<FaultKind>().is_err());
        assert!("status".parse::<FaultKind>().is_err());
        assert!("status:42".parse::<FaultKind>().is_err());
        assert!("nonsense".parse::<FaultKind>().is_err());
    }

    #[test]
    fn scoping() {
        let faults = Faults::new(vec![
            FaultRule::new(FaultKind::ShortPage).first(2),
            FaultRule::new(FaultKind::ExtraFields).every(3),
            FaultRule::new(FaultKind::RepeatPage).only("/b"),
        ]);
        let fired: Vec<usize> = (0..6).map(|_| faults.select("/a").len()).collect();
        assert_eq!(fired, [1, 1, 1, 0, 0, 1]);
        assert_eq!(faults.select("/x/b"), [FaultKind::RepeatPage]);
        faults.clear();
        assert!(faults.select("/b").is_empty());
    }
}
