//! What every generated operation builder is: an [`Operation`], with the
//! body it is building and the client it will be sent with.
//!
//! The generator (`codegen/src/extras.rs`) writes one builder per operation
//! of the spec and implements [`Operation`] (and, for paged lists,
//! [`ListOperation`](crate::ListOperation)) for it; everything a call does
//! is written here and in [`crate::call`], once.

use std::fmt::Display;
use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::call::ResponseValue;
use crate::{Client, Error, OperationDescriptor};

/// The part of [`Operation`] only this crate implements and calls: a caller
/// cannot name it, so cannot implement `Operation` or reach a builder's parts.
pub trait Sealed {
    /// The typed request body (`()` for an operation without one).
    type Body: Serialize + TryFrom<Self::BodyBuilder, Error: Display>;
    /// typify's builder of the body.
    type BodyBuilder: Clone;
    /// The client the request goes through.
    fn client(&self) -> &Client;
    /// The body being built.
    fn request_body(&self) -> &Body<Self::BodyBuilder>;
}

/// One operation of the spec, as its generated builder.
pub trait Operation<'a>: Sealed + Clone + Send + Sized + Unpin + 'a {
    /// The decoded success body.
    type Response: DeserializeOwned + Send + 'static;
    /// The spec's `operationId`.
    const ID: &'static str;
    /// The operation, as the spec describes it.
    const DESCRIPTOR: &'static OperationDescriptor;

    /// The envelope's `status` and `message`, when the response has one.
    fn envelope(response: &Self::Response) -> Option<(&str, &str)>;

    /// Send the request and decode the response, keeping its status and
    /// headers; a 2xx whose envelope `status` is not `success` is an error too.
    fn send(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Response>, Error>> + Send + 'a {
        crate::call::send(
            self.client().clone(),
            Self::DESCRIPTOR,
            Self::envelope,
            self.request_body().to_value::<Self::Body>(),
        )
    }

    /// [`send`](Self::send), keeping only the decoded body.
    fn call(self) -> impl Future<Output = Result<Self::Response, Error>> + Send + 'a {
        let sent = self.send();
        async move { sent.await.map(ResponseValue::into_inner) }
    }
}

/// A request body being built: through typify's builder (the setters), or
/// given whole as JSON. It becomes JSON once, when the call is sent, and is
/// checked against the spec there.
#[derive(Debug, Clone)]
pub enum Body<B> {
    /// Built field by field; an error is a value typify's builder refused.
    Typed(Result<B, String>),
    /// Given as JSON.
    Json(Value),
}

impl<B: Default> Default for Body<B> {
    fn default() -> Self {
        Body::Typed(Ok(B::default()))
    }
}

impl<B> Body<B> {
    /// Set the field `key` (the JSON name) to `value`; `typed` sets it on
    /// typify's builder.
    pub fn set<T: Serialize>(self, key: &str, value: T, typed: impl FnOnce(B, T) -> B) -> Self {
        match self {
            Body::Typed(Ok(builder)) => Body::Typed(Ok(typed(builder, value))),
            Body::Typed(Err(e)) => Body::Typed(Err(e)),
            Body::Json(Value::Object(mut map)) => match serde_json::to_value(value) {
                Ok(value) => {
                    map.insert(key.to_string(), value);
                    Body::Json(Value::Object(map))
                }
                Err(e) => Body::Typed(Err(format!("`{key}`: {e}"))),
            },
            // Not an object: refused when sent, whatever is set on it.
            json @ Body::Json(_) => json,
        }
    }

    /// Change the body through typify's builder (`T` is the typed body).
    pub fn map_typed<T>(self, f: impl FnOnce(B) -> B) -> Self
    where
        T: DeserializeOwned,
        B: From<T>,
    {
        match self {
            Body::Typed(built) => Body::Typed(built.map(f)),
            Body::Json(value) => Body::Typed(
                serde_json::from_value::<T>(value)
                    .map(|typed| f(B::from(typed)))
                    .map_err(|e| e.to_string()),
            ),
        }
    }

    /// The body as the JSON to send (`T` is the typed body).
    pub fn to_value<T>(&self) -> Result<Value, Error>
    where
        B: Clone,
        T: Serialize + TryFrom<B, Error: Display>,
    {
        let refused = |reason: String| Error::InvalidRequest {
            field: "body".into(),
            reason,
        };
        match self {
            Body::Json(value) => Ok(value.clone()),
            Body::Typed(Err(e)) => Err(refused(e.clone())),
            Body::Typed(Ok(builder)) => {
                let typed = T::try_from(builder.clone()).map_err(|e| refused(e.to_string()))?;
                serde_json::to_value(typed).map_err(|e| refused(e.to_string()))
            }
        }
    }
}

/// Text of an envelope field, whatever type the spec gives it.
pub trait AsText {
    /// The field as text.
    fn as_text(&self) -> &str;
}

impl AsText for String {
    fn as_text(&self) -> &str {
        self
    }
}

impl AsText for Option<String> {
    fn as_text(&self) -> &str {
        self.as_deref().unwrap_or_default()
    }
}

/// A typed response as JSON.
pub(crate) fn encode_response<R: Serialize>(response: &R) -> Result<Value, Error> {
    serde_json::to_value(response).map_err(|e| Error::UndecodableResponse {
        status: None,
        content_type: None,
        excerpt: String::new(),
        reason: format!("cannot re-encode the response as JSON: {e}"),
        request_id: None,
        idempotency_key: None,
    })
}
