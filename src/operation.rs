//! What every generated operation builder can do, beyond progenitor's `send()`.
//!
//! The generator implements [`Operation`] for every builder and
//! [`ListOperation`] for every paged list (see `codegen/src/extras.rs`), so an
//! operation added to the spec gets `call()`, `pages()` and `items()` with no
//! handwritten code.

use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::paginate::{Items, Pages};

/// One operation of the spec, as its generated builder.
pub trait Operation<'a>: Clone + Send + Sized + Unpin + 'a {
    /// The decoded success body.
    type Response: Send + 'a;
    /// The decoded error body (the error envelope).
    type ErrorBody: Serialize + Send + 'a;
    /// The spec's `operationId`.
    const ID: &'static str;

    /// progenitor's `send()`: the raw result, with progenitor's error type.
    fn send_raw(
        self,
    ) -> impl Future<
        Output = Result<crate::ResponseValue<Self::Response>, crate::RawError<Self::ErrorBody>>,
    > + Send
    + 'a;

    /// The envelope's `status` and `message`, when the response has one.
    fn envelope(response: &Self::Response) -> Option<(&str, &str)>;

    /// Send the request and decode the response, with [`Error`] as the error:
    /// a 2xx whose envelope `status` is not `success` is an error too.
    fn call(self) -> impl Future<Output = Result<Self::Response, Error>> + Send + 'a {
        async move {
            let meta = MetaCell::default();
            match RESPONSE_META.scope(meta.clone(), self.send_raw()).await {
                Ok(value) => {
                    let status = value.status().as_u16();
                    let body = value.into_inner();
                    match Self::envelope(&body) {
                        Some((outcome, message)) if outcome != "success" => Err(Error::Api {
                            status,
                            message: format!("envelope status `{outcome}`: {message}"),
                            envelope: None,
                        }),
                        _ => Ok(body),
                    }
                }
                Err(raw) => Err(crate::convert::from_raw(raw, meta.take()).await),
            }
        }
    }
}

/// A paged list operation: `page`/`per_page` in, `data.items` and `data.pagination` out.
pub trait ListOperation<'a>: Operation<'a> {
    /// One item of a page.
    type Item: Send + Unpin + 'a;

    /// The same request for another page.
    fn with_page(self, page: u64) -> Self;

    /// The items and the paging echo of a response (`None` if it has no `data`).
    fn into_page(response: Self::Response) -> Option<(Vec<Self::Item>, PageInfo)>;

    /// An item's `id`, used to drop items repeated across pages.
    fn item_id(item: &Self::Item) -> Option<&str>;

    /// A lazy stream of the pages, from page 1 until every item is seen.
    fn pages(self) -> Pages<'a, Self> {
        Pages::new(self)
    }

    /// A lazy stream of the items of every page.
    fn items(self) -> Items<'a, Self> {
        Items::new(self)
    }
}

/// The paging echo of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageInfo {
    pub page: u64,
    pub per_page: u64,
    /// Items matching the filters over all pages, if the server said.
    pub total: Option<u64>,
}

impl PageInfo {
    /// Read `page`, `per_page` and `total` from any pagination echo.
    pub fn from_echo<P: Serialize>(echo: &P) -> Self {
        let value = serde_json::to_value(echo).unwrap_or_default();
        let read = |name: &str| value.get(name).and_then(serde_json::Value::as_u64);
        PageInfo {
            page: read("page").unwrap_or_default(),
            per_page: read("per_page").unwrap_or_default(),
            total: read("total"),
        }
    }
}

/// Text of an envelope field, whatever type the spec gives it.
pub trait AsText {
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

/// Set one field of a typify body builder by going through its JSON form
/// (the generated setters take field-specific types). On failure the builder
/// is returned unchanged, and sending it reports what is wrong.
pub fn set_field<Body, B>(builder: B, name: &str, value: impl Serialize) -> B
where
    Body: TryFrom<B> + Serialize + DeserializeOwned,
    B: From<Body> + Clone,
{
    let original = builder.clone();
    let updated = Body::try_from(builder).ok().and_then(|body| {
        let mut json = serde_json::to_value(&body).ok()?;
        json.as_object_mut()?
            .insert(name.to_string(), serde_json::to_value(value).ok()?);
        serde_json::from_value::<Body>(json).ok()
    });
    updated.map_or(original, B::from)
}

/// A JSON value as an operation's typed body, or an error naming the problem.
pub fn decode_body<Body: DeserializeOwned>(body: serde_json::Value) -> Result<Body, Error> {
    let body = if body.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        body
    };
    serde_json::from_value(body).map_err(|e| {
        let text = e.to_string();
        let field = text
            .split_once("missing field `")
            .or_else(|| text.split_once("unknown variant `"))
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(name, _)| name.to_string());
        match field {
            Some(field) if text.contains("missing field") => Error::InvalidRequest {
                field,
                reason: "is required".into(),
            },
            _ => Error::InvalidRequest {
                field: "body".into(),
                reason: text,
            },
        }
    })
}

/// A typed response as JSON.
pub fn encode_response<R: Serialize>(response: &R) -> Result<serde_json::Value, Error> {
    serde_json::to_value(response).map_err(|e| Error::UndecodableResponse {
        status: None,
        content_type: None,
        excerpt: String::new(),
        reason: format!("cannot re-encode the response as JSON: {e}"),
    })
}

/// What the execution hook saw of the final response, for error reports
/// (progenitor's decoding errors do not keep the status or content type).
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseMeta {
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub timed_out: bool,
}

#[derive(Clone, Default)]
pub(crate) struct MetaCell(Arc<Mutex<ResponseMeta>>);

impl MetaCell {
    pub fn take(&self) -> ResponseMeta {
        self.0
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

tokio::task_local! {
    static RESPONSE_META: MetaCell;
}

/// Record the final response's metadata for the `call()` in progress, if any.
pub(crate) fn record_meta(meta: ResponseMeta) {
    let _ = RESPONSE_META.try_with(|cell| {
        if let Ok(mut slot) = cell.0.lock() {
            *slot = meta;
        }
    });
}
