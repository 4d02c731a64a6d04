//! What every generated operation builder can do, beyond progenitor's `send()`.
//!
//! The generator implements [`Operation`] for every builder and
//! [`ListOperation`] for every paged list (see `codegen/src/extras.rs`), so an
//! operation added to the spec gets `call()`, `pages()` and `items()` with no
//! handwritten code.

use std::future::Future;

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::context::CallContext;
use crate::paginate::{Items, Pages};

/// One operation of the spec, as its generated builder.
pub trait Operation<'a>: Clone + Send + Sized + Unpin + 'a {
    /// The decoded success body.
    type Response: Send + 'static;
    /// The decoded error body (the error envelope).
    type ErrorBody: Serialize + Send + 'a;
    /// The spec's `operationId`.
    const ID: &'static str;

    /// progenitor's own `send()`, renamed: its error type, no envelope check.
    #[doc(hidden)]
    fn send_raw(
        self,
    ) -> impl Future<
        Output = Result<crate::ResponseValue<Self::Response>, crate::RawError<Self::ErrorBody>>,
    > + Send
    + 'a;

    /// The envelope's `status` and `message`, when the response has one.
    fn envelope(response: &Self::Response) -> Option<(&str, &str)>;

    /// Send the request and decode the response, keeping its status and
    /// headers; [`Error`] is the error, and a 2xx whose envelope `status` is
    /// not `success` is an error too.
    fn send(
        self,
    ) -> impl Future<Output = Result<crate::ResponseValue<Self::Response>, Error>> + Send + 'a {
        async move {
            let (result, context) = CallContext::scope(self.send_raw()).await;
            if let Some(error) = context.take_failure() {
                return Err(error);
            }
            let meta = context.meta();
            let value = result.map_err(|raw| crate::convert::from_raw(raw, meta.clone()))?;
            match Self::envelope(&value) {
                Some((outcome, message)) if outcome != "success" => Err(Error::Api {
                    status: value.status().as_u16(),
                    message: format!("envelope status `{outcome}`: {message}"),
                    envelope: None,
                    excerpt: None,
                    request_id: meta.request_id,
                }),
                _ => Ok(value),
            }
        }
    }

    /// [`send`](Self::send), keeping only the decoded body.
    fn call(self) -> impl Future<Output = Result<Self::Response, Error>> + Send + 'a {
        async move { self.send().await.map(crate::ResponseValue::into_inner) }
    }
}

/// A page's items and its paging echo, fetched by a future that owns what it
/// needs (so a walk can keep it running while the caller works).
pub type PageFuture<T> = BoxFuture<'static, Result<(Vec<T>, PageInfo), Error>>;

/// A paged list operation: `page`/`per_page` in, `data.items` and `data.pagination` out.
pub trait ListOperation<'a>: Operation<'a> {
    /// One item of a page.
    type Item: Send + Unpin + 'static;

    /// The same request for another page.
    fn with_page(self, page: u64) -> Self;

    /// The items and the paging echo of a response (`None` if it has no `data`).
    fn into_page(response: Self::Response) -> Option<(Vec<Self::Item>, PageInfo)>;

    /// Call, and take the page out of the response, in a future independent
    /// of the builder's borrow of the client.
    fn fetch_page(&self) -> PageFuture<Self::Item>;

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
#[non_exhaustive]
pub struct PageInfo {
    /// The page the server says it returned (0 if it did not say).
    pub page: u64,
    /// The page size the server used (0 if it did not say).
    pub per_page: u64,
    /// Items matching the filters over all pages, if the server said.
    pub total: Option<u64>,
}

impl PageInfo {
    /// The echo's fields, as the generated pagination type holds them.
    pub fn new(page: impl EchoNumber, per_page: impl EchoNumber, total: impl EchoNumber) -> Self {
        PageInfo {
            page: page.echo_number().unwrap_or_default(),
            per_page: per_page.echo_number().unwrap_or_default(),
            total: total.echo_number(),
        }
    }
}

/// A number of a pagination echo, whatever integer type (or option of one)
/// the generator gave it; negative means absent.
pub trait EchoNumber {
    /// The value, if there is a non-negative one.
    fn echo_number(&self) -> Option<u64>;
}

macro_rules! echo_number {
    ($($t:ty),*) => {$(
        impl EchoNumber for $t {
            fn echo_number(&self) -> Option<u64> {
                u64::try_from(*self).ok()
            }
        }
    )*};
}
echo_number!(i64, i32, u64, u32);

impl<T: EchoNumber> EchoNumber for Option<T> {
    fn echo_number(&self) -> Option<u64> {
        self.as_ref().and_then(EchoNumber::echo_number)
    }
}

impl<T: EchoNumber> EchoNumber for &T {
    fn echo_number(&self) -> Option<u64> {
        (*self).echo_number()
    }
}

/// The echo has no such field.
impl EchoNumber for () {
    fn echo_number(&self) -> Option<u64> {
        None
    }
}

/// A success response without `data`, where a page was expected.
pub(crate) fn no_data() -> Error {
    Error::UndecodableResponse {
        status: None,
        content_type: None,
        excerpt: String::new(),
        reason: "a success response without `data`".into(),
        request_id: None,
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

/// A JSON value as an operation's typed body, or an error naming the problem.
///
/// The body is checked against the spec's rules first (which name the
/// field), so serde's own message is only the last word for what the rules
/// cannot see.
pub fn decode_body<Body: DeserializeOwned>(
    operation_id: &str,
    body: serde_json::Value,
) -> Result<Body, Error> {
    let body = if body.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        body
    };
    crate::validate::check(operation_id, &body)?;
    serde_json::from_value(body).map_err(|e| Error::InvalidRequest {
        field: "body".into(),
        reason: e.to_string(),
    })
}

/// A typed response as JSON.
pub fn encode_response<R: Serialize>(response: &R) -> Result<serde_json::Value, Error> {
    serde_json::to_value(response).map_err(|e| Error::UndecodableResponse {
        status: None,
        content_type: None,
        excerpt: String::new(),
        reason: format!("cannot re-encode the response as JSON: {e}"),
        request_id: None,
    })
}
