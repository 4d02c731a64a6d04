//! Lazy walks over every page of a list operation.
//!
//! A walk asks for page 1, 2, … and stops when `total` is reached or a page
//! comes back short or empty. It holds the current page and at most one
//! prefetched page. Items whose `id` was on the previous page are dropped
//! (data shifting by a few items between requests), and a page that repeats
//! the previous one ends the walk with [`Error::Pagination`] instead of
//! looping forever.

use std::collections::HashSet;
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

/// A stream of pages; see [`ListOperation::pages`].
pub struct Pages<'a, Op: ListOperation<'a>> {
    op: Op,
    prefetch: bool,
    /// The page the next fetch asks for.
    next_page: u64,
    fetching: Option<(u64, BoxFuture<'a, Fetched<Op::Item>>)>,
    fetched: Option<(u64, Fetched<Op::Item>)>,
    previous_ids: HashSet<String>,
    finished: bool,
}

impl<'a, Op: ListOperation<'a>> Pages<'a, Op> {
    pub(crate) fn new(op: Op) -> Self {
        Pages {
            op,
            prefetch: false,
            next_page: 1,
            fetching: None,
            fetched: None,
            previous_ids: HashSet::new(),
            finished: false,
        }
    }

    /// Request the next page while the caller works on the current one.
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Start fetching `next_page` and poll it once, so the request goes out.
    fn start_fetch(&mut self, cx: &mut Context<'_>) {
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
            Poll::Ready(result) => self.fetched = Some((page, result)),
            Poll::Pending => self.fetching = Some((page, future)),
        }
    }

    /// Move the in-flight fetch forward; called on every poll of the walk.
    fn drive(&mut self, cx: &mut Context<'_>) {
        if let Some((page, future)) = self.fetching.as_mut()
            && let Poll::Ready(result) = future.as_mut().poll(cx)
        {
            self.fetched = Some((*page, result));
            self.fetching = None;
        }
    }

    /// Turn a fetched page into what the walk yields, deciding whether to go on.
    fn accept(&mut self, page: u64, fetched: Fetched<Op::Item>) -> Result<Page<Op::Item>, Error> {
        let (items, mut info) = fetched.inspect_err(|_| self.finished = true)?;
        let received = items.len() as u64;
        if info.per_page == 0 {
            info.per_page = received;
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
            self.finished = true;
            return Err(Error::Pagination {
                page,
                reason: format!(
                    "the server sent page {page} with exactly the items of page {}",
                    page - 1
                ),
            });
        }
        self.previous_ids = ids;
        let reached_total = info
            .total
            .is_some_and(|t| page.saturating_mul(info.per_page) >= t);
        if received == 0 || received < info.per_page || reached_total {
            self.finished = true;
        }
        Ok(Page { items, info })
    }

    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Page<Op::Item>, Error>>> {
        self.drive(cx);
        if let Some((page, fetched)) = self.fetched.take() {
            let result = self.accept(page, fetched);
            if self.prefetch && !self.finished {
                self.start_fetch(cx);
            }
            return Poll::Ready(Some(result));
        }
        if self.fetching.is_some() {
            return Poll::Pending;
        }
        if self.finished {
            return Poll::Ready(None);
        }
        self.start_fetch(cx);
        self.drive(cx);
        match self.fetched.take() {
            Some((page, fetched)) => {
                let result = self.accept(page, fetched);
                if self.prefetch && !self.finished {
                    self.start_fetch(cx);
                }
                Poll::Ready(Some(result))
            }
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
}

impl<'a, Op: ListOperation<'a>> Stream for Items<'a, Op> {
    type Item = Result<Op::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.current.next() {
                // Keep a prefetch moving while items are handed out.
                this.pages.drive(cx);
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
