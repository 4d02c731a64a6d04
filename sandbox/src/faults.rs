//! Fault injection: rules that make the sandbox misbehave like a real
//! gateway or backend sometimes does.
//!
//! Rules are consulted for every request that passed authentication (and the
//! rate limiter, if one is set), before routing: an unknown operation can get
//! a 503 too. A rule counts the requests it matches (its
//! [`FaultScope::operation`]); it fires on every Kth of them if
//! [`FaultScope::every_kth`] is set, and at most [`FaultScope::first_n`]
//! times if that is set. Counting happens under one lock, so it is exact
//! however many requests arrive at once.

use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What a fault does to the response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status and the API's error envelope
    /// `{"status":"error","message":…}` instead of serving. `retry_after`
    /// (any value: `"2"`, an HTTP date, `"garbage"`…) becomes a
    /// `Retry-After` header; control characters in it are written as spaces.
    Status {
        /// The HTTP status code.
        code: u16,
        /// The `Retry-After` value, if any.
        retry_after: Option<String>,
    },
    /// Answer with this status and the gateway's own body shape
    /// `{"message":…}` (no `status`), e.g. Kong's
    /// `{"message":"API rate limit exceeded"}` for 429, with an optional
    /// `Retry-After` like [`FaultKind::Status`].
    KongError {
        /// The HTTP status code.
        code: u16,
        /// The `Retry-After` value, if any.
        retry_after: Option<String>,
    },
    /// Answer with this status and an empty body: `Content-Length: 0`, no `Content-Type`.
    EmptyBody {
        /// The HTTP status code.
        code: u16,
    },
    /// Answer with this status and a `text/plain` body like a proxy's
    /// (`upstream connect error or disconnect/reset before headers…`).
    TextBody {
        /// The HTTP status code.
        code: u16,
    },
    /// Wait this long (real time), then serve normally.
    Delay(Duration),
    /// Send the status line and headers at once, then the body in about ten
    /// chunks spread over this long, so a client's timeout can fire mid-body.
    SlowBody(Duration),
    /// Send the status line, the headers and half the body, then reset the
    /// connection (a TCP RST, not a clean close).
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
    /// The usual answer, with this status instead of 200 (one the spec may
    /// not document, as a newer API would send).
    SuccessStatus {
        /// The HTTP status code.
        code: u16,
    },
}

/// The drift mode (`ingo-sandbox --drift`): answers beyond the spec, the
/// way a newer version of the API would send them, for testing a client's
/// drift log: every list item carries fields the spec does not declare
/// (`risk_score`, a number; `x_unknown_field`, an object), one payment
/// intent per page a status and a direction the spec does not list
/// (`under_review`, `sideways`), and the contacts list answers 202, which
/// the spec does not document.
pub fn drift() -> Vec<FaultRule> {
    vec![
        FaultRule::new(FaultKind::ExtraFields),
        FaultRule::new(FaultKind::UnknownEnumValue),
        FaultRule::new(FaultKind::SuccessStatus { code: 202 }).only("/business/customers/get-all"),
    ]
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
    "invalid fault {0:?}: expected one of status:CODE[:RETRY_AFTER], kong:CODE[:RETRY_AFTER], empty:CODE, text:CODE, html:CODE, success-status:CODE, delay:MILLIS, slow-body:MILLIS, drop, truncate, malformed-json, unknown-enum, extra-fields, short-page, repeat-page (CODE 100..=999; RETRY_AFTER any text without control characters)"
)]
pub struct ParseFaultError(pub String);

impl FromStr for FaultKind {
    type Err = ParseFaultError;

    /// Parses `KIND[:ARG]`: `status:CODE[:RETRY_AFTER]`,
    /// `kong:CODE[:RETRY_AFTER]`, `empty:CODE`, `text:CODE`, `html:CODE`,
    /// `delay:MILLIS`, `slow-body:MILLIS`, `drop`, `truncate`,
    /// `malformed-json`, `unknown-enum`, `extra-fields`, `short-page`,
    /// `repeat-page`.
    ///
    /// `RETRY_AFTER` is everything after the second colon, taken as is (an
    /// HTTP date has colons; `garbage`, `-5` and `18446744073709551615` are
    /// fine too), except that control characters such as CR and LF are
    /// refused: they would split the header.
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
        let retry_after = |v: Option<&str>| -> Result<Option<String>, ParseFaultError> {
            match v {
                Some(v) if v.chars().any(|c| c.is_control() && c != '\t') => Err(err()),
                v => Ok(v.map(str::to_owned)),
            }
        };
        let millis = |a: Option<&str>| {
            a.and_then(|ms| ms.parse::<u64>().ok())
                .map(Duration::from_millis)
                .ok_or_else(err)
        };
        let no_arg = |k: FaultKind| {
            if arg.is_none() { Ok(k) } else { Err(err()) }
        };
        match kind {
            "status" => Ok(FaultKind::Status {
                code: code(arg)?,
                retry_after: retry_after(extra)?,
            }),
            "kong" => Ok(FaultKind::KongError {
                code: code(arg)?,
                retry_after: retry_after(extra)?,
            }),
            _ if extra.is_some() => Err(err()),
            "delay" => millis(arg).map(FaultKind::Delay),
            "slow-body" => millis(arg).map(FaultKind::SlowBody),
            "html" => Ok(FaultKind::HtmlErrorPage { code: code(arg)? }),
            "empty" => Ok(FaultKind::EmptyBody { code: code(arg)? }),
            "text" => Ok(FaultKind::TextBody { code: code(arg)? }),
            "success-status" => Ok(FaultKind::SuccessStatus { code: code(arg)? }),
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
        assert_eq!("empty:502".parse(), Ok(FaultKind::EmptyBody { code: 502 }));
        assert_eq!("text:503".parse(), Ok(FaultKind::TextBody { code: 503 }));
        assert_eq!(
            "kong:429".parse(),
            Ok(FaultKind::KongError {
                code: 429,
                retry_after: None
            })
        );
        assert_eq!(
            "kong:429:3".parse(),
            Ok(FaultKind::KongError {
                code: 429,
                retry_after: Some("3".into())
            })
        );
        assert_eq!(
            "slow-body:1500".parse(),
            Ok(FaultKind::SlowBody(Duration::from_millis(1500)))
        );
        for bad in [
            "empty",
            "empty:",
            "empty:99",
            "empty:1000",
            "empty:502:1",
            "text",
            "text:abc",
            "kong",
            "kong:x",
            "slow-body",
            "slow-body:-1",
            "slow-body:1.5",
            "slow-body:1:2",
            "html:502:1",
            "delay:1:2",
        ] {
            assert!(bad.parse::<FaultKind>().is_err(), "{bad}");
        }
    }

    #[test]
    fn any_retry_after_value_without_control_characters() {
        for value in [
            "18446744073709551615",
            "Fri, 17 Jan 2020 19:59:29 GMT",
            "garbage",
            "0",
            "-5",
            "",
            "a:b:c",
            "tab\there",
        ] {
            for kind in ["status", "kong"] {
                let parsed = format!("{kind}:429:{value}").parse::<FaultKind>();
                let retry_after = match parsed {
                    Ok(FaultKind::Status { retry_after, .. })
                    | Ok(FaultKind::KongError { retry_after, .. }) => retry_after,
                    other => panic!("{kind}:429:{value}: {other:?}"),
                };
                assert_eq!(retry_after.as_deref(), Some(value));
            }
        }
        for value in ["1\r\nX-Evil: 1", "1\n", "\r", "a\0b", "\u{7f}", "\u{85}"] {
            assert!(
                format!("status:429:{value}").parse::<FaultKind>().is_err(),
                "{value:?}"
            );
            assert!(
                format!("kong:503:{value}").parse::<FaultKind>().is_err(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn counting_is_exact_under_concurrency() {
        let faults = Faults::new(vec![
            FaultRule::new(FaultKind::ShortPage).first(37),
            FaultRule::new(FaultKind::ExtraFields).every(4),
        ]);
        let fired: Vec<Vec<FaultKind>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| (0..100).map(|_| faults.select("/a")).collect::<Vec<_>>()))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect()
        });
        assert_eq!(fired.len(), 800);
        let count = |kind: &FaultKind| fired.iter().filter(|f| f.contains(kind)).count();
        assert_eq!(count(&FaultKind::ShortPage), 37);
        assert_eq!(count(&FaultKind::ExtraFields), 200);
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
