//! What is left of progenitor's error once the engine has classified every
//! failure it saw (those reach `call()` typed, through the call context):
//! a success body that is not what the spec describes, a status the spec
//! does not list, and progenitor's own refusal to build the request.

use crate::context::ResponseMeta;
use crate::error::excerpt;
use crate::{Error, RawError};

pub(crate) fn from_raw<E>(raw: RawError<E>, meta: ResponseMeta) -> Error {
    match raw {
        // progenitor could not turn the body builder into the typed body.
        RawError::InvalidRequest(reason) | RawError::Custom(reason) => Error::InvalidRequest {
            field: "body".into(),
            reason,
        },
        RawError::InvalidResponsePayload(body, e) => meta.undecodable(
            excerpt(&body),
            format!("not the JSON the spec describes: {e}"),
        ),
        RawError::ErrorResponse(value) => meta.undecodable(
            String::new(),
            format!("status {} is not one the spec describes", value.status()),
        ),
        RawError::UnexpectedResponse(response) => meta.undecodable(
            String::new(),
            format!("status {} is not one the spec describes", response.status()),
        ),
        // The engine hands progenitor a body already in memory, so these
        // cannot happen; keep them typed all the same.
        RawError::CommunicationError(e)
        | RawError::InvalidUpgrade(e)
        | RawError::ResponseBodyError(e) => Error::Transport(e.without_url()),
    }
}
