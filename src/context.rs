//! The per-call context: how a typed failure, and what the engine saw of the
//! final response, travel from the request hooks back to `call()`.
//!
//! progenitor's hooks can only answer with its own error type (or a
//! `reqwest::Result`), so the hooks put the typed [`Error`] here and `call()`
//! takes it out; nothing is encoded as text and parsed back. The context is
//! a tokio task-local set for the duration of one call's future, so
//! concurrent calls (and a walk's prefetched pages) each have their own.

use std::sync::{Arc, Mutex, PoisonError};

use crate::Error;

/// What the engine saw of the response a call ended with.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseMeta {
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub request_id: Option<String>,
}

impl ResponseMeta {
    /// The error for a success response progenitor could not decode.
    pub(crate) fn undecodable(self, excerpt: String, reason: String) -> Error {
        Error::UndecodableResponse {
            status: self.status,
            content_type: self.content_type,
            excerpt,
            reason,
            request_id: self.request_id,
        }
    }
}

#[derive(Debug, Default)]
struct Slot {
    failure: Option<Error>,
    meta: ResponseMeta,
}

/// One call's context.
#[derive(Clone, Default)]
pub(crate) struct CallContext(Arc<Mutex<Slot>>);

tokio::task_local! {
    static CALL: CallContext;
}

impl CallContext {
    /// Run `future` (one call) with a fresh context; return its output and the context.
    pub async fn scope<F: Future>(future: F) -> (F::Output, CallContext) {
        let context = CallContext::default();
        let output = CALL.scope(context.clone(), future).await;
        (output, context)
    }

    /// The typed failure a hook recorded, if any.
    pub fn take_failure(&self) -> Option<Error> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failure
            .take()
    }

    /// What the engine saw of the final response.
    pub fn meta(&self) -> ResponseMeta {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .meta
            .clone()
    }

    fn current() -> Option<CallContext> {
        CALL.try_with(CallContext::clone).ok()
    }

    /// Record the call's typed failure; hands it back when no call is in
    /// progress (the hooks were reached some other way).
    pub fn fail(error: Error) -> Result<(), Error> {
        match Self::current() {
            Some(context) => {
                context
                    .0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .failure = Some(error);
                Ok(())
            }
            None => Err(error),
        }
    }

    /// Record what the engine saw of the final response.
    pub fn record(meta: ResponseMeta) {
        if let Some(context) = Self::current() {
            context
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .meta = meta;
        }
    }
}
