//! Lazy walks over every page of a list operation.
//!
//! A walk asks for page 1, 2, … and stops when `total` is reached or a page
//! comes back short or empty. It holds the current page and at most one
//! prefetched page. Items whose `id` was on the previous page are dropped
//! (data shifting by a few items between requests), and a page that repeats
//! the previous one ends the walk with [`Error::Pagination`] instead of
//! looping forever.

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::future::BoxFuture;

use crate::Error;
use crate::operation::{ListOperation, PageInfo};

/// One page of a walk.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub info: PageInfo,
}

type Fetched<T> = Result<(Vec<T>, PageInfo), Error>;

/// Requests a prefetching walk keeps out at once: the page being fetched and
/// decoded, and the one after it, which the server prepares meanwhile.
const PREFETCH_WINDOW: usize = 2;

/// A stream of pages; see [`ListOperation::pages`].
pub struct Pages<'a, Op: ListOperation<'a>> {
    op: Op,
    prefetch: bool,
    /// The page the next request asks for.
    next_page: u64,
    /// The last page, once a response has said how many items there are.
    last_page: Option<u64>,
    /// Requests sent, oldest first. Only the oldest is polled to completion,
    /// so at most one decoded page waits in `ready` beside the caller's.
    in_flight: VecDeque<(u64, BoxFuture<'a, Fetched<Op::Item>>)>,
    ready: Option<(u64, Fetched<Op::Item>)>,
    previous_ids: HashSet<String>,
    /// The paging echo of the latest page handed out.
    info: Option<PageInfo>,
    finished: bool,
}

impl<'a, Op: ListOperation<'a>> Pages<'a, Op> {
    pub(crate) fn new(op: Op) -> Self {
        Pages {
            op,
            prefetch: false,
            next_page: 1,
            last_page: None,
            in_flight: VecDeque::new(),
            ready: None,
            previous_ids: HashSet::new(),
            info: None,
            finished: false,
        }
    }

    /// The paging echo (with `total`) of the latest page handed out.
    pub fn info(&self) -> Option<PageInfo> {
        self.info
    }

    /// Keep the next page's request going while the caller works on the
    /// current one (the walk then holds the current page and at most one more).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Send the request for `next_page`: its first poll puts it on the wire.
    fn send_next(&mut self, cx: &mut Context<'_>) {
        let page = self.next_page;
        self.next_page += 1;
        let request = self.op.clone().with_page(page);
        let mut future: BoxFuture<'a, Fetched<Op::Item>> = Box::pin(async move {
            let response = request.call().await?;
            Op::into_page(response).ok_or_else(|| Error::UndecodableResponse {
                status: None,
                content_type: None,
                excerpt: String::new(),
                reason: "a success response without `data`".into(),
            })
        });
        match future.as_mut().poll(cx) {
            // Only possible for the oldest request (e.g. an error before any I/O).
            Poll::Ready(result) if self.in_flight.is_empty() && self.ready.is_none() => {
                self.ready = Some((page, result))
            }
            Poll::Ready(result) => self
                .in_flight
                .push_back((page, Box::pin(std::future::ready(result)))),
            Poll::Pending => self.in_flight.push_back((page, future)),
        }
    }

    /// With prefetch on, keep the window of requests full, up to the last page.
    fn top_up(&mut self, cx: &mut Context<'_>) {
        if !self.prefetch || self.finished {
            return;
        }
        let window = if self.last_page.is_some() {
            PREFETCH_WINDOW
        } else {
            1
        };
        while self.in_flight.len() + usize::from(self.ready.is_some()) < window
            && self.last_page.is_none_or(|last| self.next_page <= last)
        {
            self.send_next(cx);
        }
    }

    /// Move the oldest request forward while there is room for its page.
    fn drive(&mut self, cx: &mut Context<'_>) {
        if self.ready.is_some() {
            return;
        }
        if let Some((page, future)) = self.in_flight.front_mut()
            && let Poll::Ready(result) = future.as_mut().poll(cx)
        {
            self.ready = Some((*page, result));
            self.in_flight.pop_front();
        }
    }

    /// Turn a fetched page into what the walk yields, deciding whether to go on.
    fn accept(&mut self, page: u64, fetched: Fetched<Op::Item>) -> Result<Page<Op::Item>, Error> {
        let (items, mut info) = fetched.inspect_err(|_| self.finish())?;
        let received = items.len() as u64;
        if info.per_page == 0 {
            info.per_page = received;
        }
        if let (Some(total), true) = (info.total, info.per_page > 0) {
            self.last_page = Some(total.div_ceil(info.per_page).max(1));
        }
        let mut ids = HashSet::with_capacity(items.len());
        let mut repeated = 0u64;
        let items: Vec<Op::Item> = items
            .into_iter()
            .filter(|item| match Op::item_id(item) {
                Some(id) if self.previous_ids.contains(id) => {
                    repeated += 1;
                    false
                }
                Some(id) => ids.insert(id.to_string()),
                None => true,
            })
            .collect();
        if received > 0 && repeated == received && page > 1 {
            self.finish();
            return Err(Error::Pagination {
                page,
                reason: format!(
                    "the server sent page {page} with exactly the items of page {}",
                    page - 1
                ),
            });
        }
        self.previous_ids = ids;
        self.info = Some(info);
        let reached_total = info
            .total
            .is_some_and(|t| page.saturating_mul(info.per_page) >= t);
        if received == 0 || received < info.per_page || reached_total {
            self.finish();
        }
        Ok(Page { items, info })
    }

    /// Stop: drop requests for pages past the end.
    fn finish(&mut self) {
        self.finished = true;
        self.in_flight.clear();
        self.ready = None;
    }

    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Page<Op::Item>, Error>>> {
        self.drive(cx);
        if self.ready.is_none() && self.in_flight.is_empty() && !self.finished {
            self.send_next(cx);
            self.drive(cx);
        }
        match self.ready.take() {
            Some((page, fetched)) => {
                let result = self.accept(page, fetched);
                self.top_up(cx);
                self.drive(cx);
                Poll::Ready(Some(result))
            }
            None if self.in_flight.is_empty() => Poll::Ready(None),
            None => Poll::Pending,
        }
    }
}

impl<'a, Op: ListOperation<'a>> Stream for Pages<'a, Op> {
    type Item = Result<Page<Op::Item>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_page(cx)
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

    /// Request the next page while the caller works through the current one.
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
                // Keep a prefetch moving while items are handed out.
                this.pages.drive(cx);
                this.pages.top_up(cx);
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
