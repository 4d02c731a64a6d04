//! Lazy walks over every page of a list operation.
//!
//! A walk asks for page 1, 2, … and stops when `total` is reached (or, when
//! the server gives no `total`, at a short or empty page). With prefetch on,
//! the next pages' requests run as tasks of their own while the caller works
//! on the current page, so a slow consumer never lets a request that has
//! already been answered time out: its page waits as decoded items.
//!
//! A walk notices a misbehaving server and stops with [`Error::Pagination`],
//! after yielding what it received: a page whose echo names another page, a
//! page that repeats the previous one, a short or empty page before `total`.
//! Items whose `id` was on the previous page are dropped (data shifting by a
//! few items between requests); only hashes of the previous page's ids are kept.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::FuturesOrdered;
use futures::{FutureExt, Stream, StreamExt};
use tracing::Instrument;

use crate::Error;
use crate::operation::Operation;

/// A page's items and its paging echo, fetched by a future that owns what it
/// needs (so a walk can keep it running while the caller works).
pub type PageFuture<T> = BoxFuture<'static, Result<(Vec<T>, PageInfo), Error>>;

/// A response's items and paging echo (see [`ListOperation::into_page`]).
type IntoPage<R, T> = fn(R) -> Option<(Vec<T>, PageInfo)>;

/// A paged list operation: `page`/`per_page` in, `data.items` and `data.pagination` out.
pub trait ListOperation<'a>: Operation<'a> {
    /// One item of a page.
    type Item: Send + Unpin + 'static;

    /// The same request for another page.
    fn with_page(self, page: u64) -> Self;

    /// The items and the paging echo of a response (`None` if it has no `data`).
    fn into_page(response: Self::Response) -> Option<(Vec<Self::Item>, PageInfo)>;

    /// An item's `id`, used to drop items repeated across pages.
    fn item_id(item: &Self::Item) -> Option<&str>;

    /// Call, and take the page out of the response, in a future independent
    /// of the builder's borrow of the client.
    fn fetch_page(&self) -> PageFuture<Self::Item> {
        let sent = crate::call::send(
            self.client().clone(),
            Self::DESCRIPTOR,
            Self::envelope,
            self.request_body().to_value::<Self::Body>(),
        );
        let into_page: IntoPage<Self::Response, Self::Item> = Self::into_page;
        Box::pin(async move { into_page(sent.await?.into_inner()).ok_or_else(no_data) })
    }

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
    pub(crate) fn new(
        page: impl EchoNumber,
        per_page: impl EchoNumber,
        total: impl EchoNumber,
    ) -> Self {
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
fn no_data() -> Error {
    Error::UndecodableResponse {
        status: None,
        content_type: None,
        excerpt: String::new(),
        reason: "a success response without `data`".into(),
        request_id: None,
        idempotency_key: None,
    }
}

/// One page of a walk.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items (less any repeated from the previous page).
    pub items: Vec<T>,
    /// The page's paging echo.
    pub info: PageInfo,
}

type Fetched<T> = Result<(Vec<T>, PageInfo), Error>;

/// Requests a prefetching walk keeps out at once, once it knows the last
/// page: while the caller works on one page, the next two are fetched.
const PREFETCH_WINDOW: usize = 2;

/// A stream of pages; see [`ListOperation::pages`].
pub struct Pages<'a, Op: ListOperation<'a>> {
    op: Op,
    prefetch: bool,
    /// The page the next request asks for.
    next_page: u64,
    /// The last page, once a response has said how many items there are.
    last_page: Option<u64>,
    /// Requests sent, in page order; all of them make progress at once.
    in_flight: FuturesOrdered<BoxFuture<'a, (u64, Fetched<Op::Item>)>>,
    /// Hashes of the previous page's ids.
    previous_ids: HashSet<u128>,
    id_keys: (RandomState, RandomState),
    /// The paging echo of the latest page handed out.
    info: Option<PageInfo>,
    /// An error to report once the page before it has been handed out.
    pending_error: Option<Error>,
    finished: bool,
}

impl<'a, Op: ListOperation<'a>> Pages<'a, Op> {
    pub(crate) fn new(op: Op) -> Self {
        Pages {
            op,
            prefetch: false,
            next_page: 1,
            last_page: None,
            in_flight: FuturesOrdered::new(),
            previous_ids: HashSet::new(),
            id_keys: (RandomState::new(), RandomState::new()),
            info: None,
            pending_error: None,
            finished: false,
        }
    }

    /// The paging echo (with `total`) of the latest page handed out.
    pub fn info(&self) -> Option<PageInfo> {
        self.info
    }

    /// Keep the next pages' requests running while the caller works on the
    /// current one (the walk then holds at most two pages beside the caller's).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Send the request for `next_page`. On a tokio runtime it runs as a task
    /// of its own (aborted if the walk is dropped), so it completes even while
    /// the caller is not polling the walk.
    fn send_next(&mut self) {
        let page = self.next_page;
        self.next_page = self.next_page.saturating_add(1);
        let fetch: PageFuture<Op::Item> = self.op.clone().with_page(page).fetch_page();
        let request: BoxFuture<'a, (u64, Fetched<Op::Item>)> =
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    let task = AbortOnDrop(runtime.spawn(fetch.in_current_span()));
                    Box::pin(task.map(move |joined| {
                        let fetched = joined.unwrap_or_else(|e| {
                            Err(Error::Pagination {
                                page,
                                reason: format!("the request task ended without a result: {e}"),
                            })
                        });
                        (page, fetched)
                    }))
                }
                Err(_) => Box::pin(fetch.map(move |fetched| (page, fetched))),
            };
        self.in_flight.push_back(request);
    }

    /// Keep the window of requests full, up to the last page.
    fn top_up(&mut self) {
        if self.finished {
            return;
        }
        let window = match (self.prefetch, self.last_page) {
            (true, Some(_)) => PREFETCH_WINDOW,
            _ => 1,
        };
        while self.in_flight.len() < window && self.last_page.is_none_or(|l| self.next_page <= l) {
            self.send_next();
        }
    }

    fn id_hash(&self, id: &str) -> u128 {
        let (a, b) = &self.id_keys;
        (u128::from(a.hash_one(id)) << 64) | u128::from(b.hash_one(id))
    }

    /// Turn a fetched page into what the walk yields, deciding whether to go on.
    fn accept(&mut self, page: u64, fetched: Fetched<Op::Item>) -> Result<Page<Op::Item>, Error> {
        let (items, mut info) = fetched.inspect_err(|_| self.finish())?;
        let stop = |this: &mut Self, reason: String| {
            this.finish();
            Err(Error::Pagination { page, reason })
        };
        if info.page != 0 && info.page != page {
            return stop(
                self,
                format!(
                    "asked for page {page}, the server answered page {}",
                    info.page
                ),
            );
        }
        let received = u64::try_from(items.len()).unwrap_or(u64::MAX);
        if info.per_page == 0 {
            info.per_page = received;
        }
        if let (Some(total), true) = (info.total, info.per_page > 0) {
            self.last_page = Some(total.div_ceil(info.per_page).max(1));
        }
        let mut ids = HashSet::with_capacity(items.len());
        let mut repeated = 0u64;
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            match Op::item_id(&item).map(|id| self.id_hash(id)) {
                Some(hash) if self.previous_ids.contains(&hash) => repeated += 1,
                Some(hash) => {
                    ids.insert(hash);
                    kept.push(item);
                }
                None => kept.push(item),
            }
        }
        if received > 0 && repeated == received && page > 1 {
            return stop(
                self,
                format!(
                    "the server sent page {page} with exactly the items of page {}",
                    page - 1
                ),
            );
        }
        self.previous_ids = ids;
        self.info = Some(info);
        let through = page.saturating_sub(1).saturating_mul(info.per_page);
        match info.total {
            Some(total) if page.saturating_mul(info.per_page) >= total => self.finish(),
            Some(total) if received < info.per_page => {
                // Items are missing in between: the caller gets this page, then the error.
                self.finish();
                self.pending_error = Some(Error::Pagination {
                    page,
                    reason: format!(
                        "page {page} held {received} of {} items, but the server's total of {total} \
                         says {} more follow; stopping rather than skipping them",
                        info.per_page,
                        total.saturating_sub(through.saturating_add(received))
                    ),
                });
            }
            Some(_) => {}
            // Without a total, a short page is the only sign of the end.
            None if received < info.per_page || received == 0 => self.finish(),
            None => {}
        }
        Ok(Page { items: kept, info })
    }

    /// Stop: drop (and abort) requests for pages past the end.
    fn finish(&mut self) {
        self.finished = true;
        self.in_flight = FuturesOrdered::new();
    }

    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Page<Op::Item>, Error>>> {
        if let Some(error) = self.pending_error.take() {
            return Poll::Ready(Some(Err(error)));
        }
        self.top_up();
        match self.in_flight.poll_next_unpin(cx) {
            Poll::Ready(Some((page, fetched))) => {
                let result = self.accept(page, fetched);
                self.top_up();
                Poll::Ready(Some(result))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<'a, Op: ListOperation<'a>> Stream for Pages<'a, Op> {
    type Item = Result<Page<Op::Item>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_page(cx)
    }
}

/// A spawned request, aborted when the walk no longer wants it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A stream of the items of every page; see [`ListOperation::items`].
pub struct Items<'a, Op: ListOperation<'a>> {
    pages: Pages<'a, Op>,
    current: std::vec::IntoIter<Op::Item>,
}

impl<'a, Op: ListOperation<'a>> Items<'a, Op> {
    pub(crate) fn new(op: Op) -> Self {
        Items {
            pages: Pages::new(op),
            current: Vec::new().into_iter(),
        }
    }

    /// Keep the next pages' requests running while the caller works through the current one.
    pub fn prefetch(mut self, on: bool) -> Self {
        self.pages = self.pages.prefetch(on);
        self
    }

    /// The paging echo (with `total`) of the page the items come from.
    pub fn info(&self) -> Option<PageInfo> {
        self.pages.info()
    }
}

impl<'a, Op: ListOperation<'a>> Stream for Items<'a, Op> {
    type Item = Result<Op::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match this.pages.poll_page(cx) {
                Poll::Ready(Some(Ok(page))) => this.current = page.items.into_iter(),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
