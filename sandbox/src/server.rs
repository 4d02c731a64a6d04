//! A minimal HTTP/1.1 server over tokio's `TcpStream`, written by hand so
//! that faults on the wire (a reset mid-body, a body shorter than its
//! `Content-Length`) are exactly what they claim to be.
//!
//! Supports keep-alive, pipelining, `Expect: 100-continue` and
//! `Content-Length` bodies; refuses `Transfer-Encoding`. Plain TCP, or TLS
//! (`crate::tls`) around it.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::server::TlsStream;

use crate::api::{self, Request, State};
use crate::auth::header;
use crate::reply::{Reply, Transport};

const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// How long an idle keep-alive connection is kept open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the rest of a request may take once it has begun.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection the server speaks HTTP/1.1 over: plain TCP or TLS.
trait Conn: AsyncRead + AsyncWrite + Unpin + Send {
    /// Make closing the connection a reset (TCP RST), not a clean close.
    fn reset_on_close(&self);
}

impl Conn for TcpStream {
    fn reset_on_close(&self) {
        // SO_LINGER 0: the kernel discards the connection with a RST.
        #[allow(deprecated)]
        let _ = self.set_linger(Some(Duration::ZERO));
    }
}

impl Conn for TlsStream<TcpStream> {
    fn reset_on_close(&self) {
        self.get_ref().0.reset_on_close();
    }
}

/// Accepts connections until `shutdown` changes (or its sender is dropped).
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    state.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let _ = stream.set_nodelay(true);
                    let state = Arc::clone(&state);
                    match &tls {
                        None => {
                            tokio::spawn(connection(stream, state));
                        }
                        Some(acceptor) => {
                            let handshake = acceptor.accept(stream);
                            tokio::spawn(async move {
                                // A client that refuses the certificate just goes away.
                                if let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                                    connection(stream, state).await;
                                }
                            });
                        }
                    }
                }
                // Usually out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// The request line and headers of one request.
struct Head {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
}

enum HeadError {
    /// The peer closed or went idle between requests: just close.
    Gone,
    /// Answer with this status and close.
    Reject(u16, &'static str),
}

async fn connection(mut stream: impl Conn, state: Arc<State>) {
    let mut buf: Vec<u8> = Vec::with_capacity(8 * 1024);
    loop {
        let head = match read_head(&mut stream, &mut buf).await {
            Ok(head) => head,
            Err(HeadError::Gone) => return,
            Err(HeadError::Reject(status, message)) => {
                let reply = state.refuse("", "", &[], status, message);
                let _ = write_reply(&mut stream, &state, &reply, false, false).await;
                return;
            }
        };
        let (body, peer_closed) = match read_body(&mut stream, &mut buf, &head).await {
            Ok(read) => read,
            Err((status, message)) => {
                let reply =
                    state.refuse(&head.method, &head.target, &head.headers, status, message);
                let _ = write_reply(&mut stream, &state, &reply, false, false).await;
                return;
            }
        };
        let keep_alive = !peer_closed && wants_keep_alive(&head);
        let is_head = head.method == "HEAD";
        let (method, target) = (head.method.clone(), head.target.clone());
        let request = Request {
            method: head.method,
            target: head.target,
            version: head.version,
            headers: head.headers,
            body,
        };
        let shared = Arc::clone(&state);
        // Filtering a large data set is CPU work: keep it off the I/O threads.
        // The request is logged there, before any delay.
        let reply = match tokio::task::spawn_blocking(move || api::handle(&shared, &request)).await
        {
            Ok(reply) => reply,
            Err(_) => state.refuse(&method, &target, &[], 500, "internal server error"),
        };
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        let keep_alive = keep_alive && reply.transport == Transport::Normal;
        if write_reply(&mut stream, &state, &reply, keep_alive, is_head)
            .await
            .is_err()
            || !keep_alive
        {
            return;
        }
    }
}

fn wants_keep_alive(head: &Head) -> bool {
    let connection = header(&head.headers, "connection").map(str::to_ascii_lowercase);
    let has = |token: &str| {
        connection
            .as_deref()
            .is_some_and(|c| c.split(',').any(|t| t.trim() == token))
    };
    if head.version == "HTTP/1.1" {
        !has("close")
    } else {
        has("keep-alive")
    }
}

/// Reads until `buf` holds a complete request head, then removes it from `buf`.
async fn read_head(stream: &mut impl Conn, buf: &mut Vec<u8>) -> Result<Head, HeadError> {
    loop {
        if let Some((head, consumed)) = parse_head(buf)? {
            buf.drain(..consumed);
            return Ok(head);
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(HeadError::Reject(431, "request head too large"));
        }
        let timeout = if buf.is_empty() {
            IDLE_TIMEOUT
        } else {
            READ_TIMEOUT
        };
        match read_more(stream, buf, timeout).await {
            Some(0) | None => return Err(HeadError::Gone),
            Some(_) => {}
        }
    }
}

fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let consumed = match request.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(HeadError::Reject(431, "too many request headers"));
        }
        Err(_) => return Err(HeadError::Reject(400, "malformed HTTP request")),
    };
    let (Some(method), Some(target), Some(minor)) = (request.method, request.path, request.version)
    else {
        return Err(HeadError::Reject(400, "malformed HTTP request"));
    };
    let headers = request
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let head = Head {
        method: method.to_owned(),
        target: target.to_owned(),
        version: format!("HTTP/1.{minor}"),
        headers,
    };
    Ok(Some((head, consumed)))
}

/// Reads the body announced by `Content-Length`; returns it and whether the
/// peer closed before sending all of it (the short body is then verified as
/// received, which the gateway reports as a content-length mismatch).
async fn read_body(
    stream: &mut impl Conn,
    buf: &mut Vec<u8>,
    head: &Head,
) -> Result<(Vec<u8>, bool), (u16, &'static str)> {
    if header(&head.headers, "transfer-encoding").is_some() {
        return Err((
            501,
            "transfer-encoding is not supported; send content-length",
        ));
    }
    let lengths: Vec<&str> = head
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.trim())
        .collect();
    let length = match lengths.first() {
        None => 0,
        Some(first) => match first.parse::<usize>() {
            Ok(n) if lengths.iter().all(|l| l == first) => n,
            _ => return Err((400, "content-length is not a single valid number")),
        },
    };
    if length > MAX_BODY_BYTES {
        return Err((413, "request body too large"));
    }
    let expects_continue =
        header(&head.headers, "expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
    if expects_continue && buf.len() < length {
        stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| (400, "connection failed"))?;
    }
    let mut peer_closed = false;
    while buf.len() < length {
        match read_more(stream, buf, READ_TIMEOUT).await {
            Some(0) => {
                peer_closed = true;
                break;
            }
            Some(_) => {}
            None => return Err((408, "timed out reading the request body")),
        }
    }
    let body = buf.drain(..length.min(buf.len())).collect();
    Ok((body, peer_closed))
}

/// One read into `buf`: `Some(bytes read)` (0 at end of stream), `None` on
/// timeout or error.
async fn read_more(stream: &mut impl Conn, buf: &mut Vec<u8>, timeout: Duration) -> Option<usize> {
    let mut chunk = [0u8; 16 * 1024];
    match tokio::time::timeout(timeout, stream.read(&mut chunk)).await {
        Ok(Ok(n)) => {
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            Some(n)
        }
        Ok(Err(_)) | Err(_) => None,
    }
}

/// The bytes of a header value: control characters (CR, LF…) are written
/// as spaces, so no value can split the head.
fn header_value(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect()
}

/// How many chunks a paced body is sent in.
const PACE_CHUNKS: usize = 10;

async fn write_reply(
    stream: &mut impl Conn,
    state: &State,
    reply: &Reply,
    keep_alive: bool,
    is_head: bool,
) -> std::io::Result<()> {
    let declared = match reply.transport {
        // Promise more than will ever come.
        Transport::Truncate => reply.body.len() + 64,
        Transport::Normal | Transport::Drop => reply.body.len(),
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {}\r\n",
        reply.status,
        api::reason(reply.status),
        httpdate::fmt_http_date(state.now()),
    );
    if let Some(content_type) = reply.content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str(&format!("Content-Length: {declared}\r\n"));
    if let (Some(name), Some(id)) = (&state.request_ids.header, &reply.request_id) {
        head.push_str(&format!("{name}: {id}\r\n"));
    }
    for (name, value) in &reply.extra_headers {
        head.push_str(&format!("{name}: {}\r\n", header_value(value)));
    }
    head.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    let body: &[u8] = match (is_head, reply.transport) {
        (true, _) => &[],
        (false, Transport::Normal | Transport::Truncate) => &reply.body,
        (false, Transport::Drop) => reply.body.get(..reply.body.len() / 2).unwrap_or_default(),
    };
    if reply.pace.is_zero() || body.is_empty() {
        let mut out = head.into_bytes();
        out.extend_from_slice(body);
        stream.write_all(&out).await?;
        stream.flush().await?;
    } else {
        stream.write_all(head.as_bytes()).await?;
        stream.flush().await?;
        // About PACE_CHUNKS chunks, a pause before each: the last byte
        // leaves after the whole `pace`.
        let size = body.len().div_ceil(PACE_CHUNKS).max(1);
        let count = body.len().div_ceil(size);
        let interval = reply.pace / u32::try_from(count).unwrap_or(u32::MAX).max(1);
        for chunk in body.chunks(size) {
            tokio::time::sleep(interval).await;
            stream.write_all(chunk).await?;
            stream.flush().await?;
        }
    }
    match reply.transport {
        Transport::Drop => {
            // Give the peer a moment to read what was sent, then reset
            // (dropping the stream then closes it without a FIN first).
            tokio::time::sleep(Duration::from_millis(20)).await;
            stream.reset_on_close();
        }
        Transport::Normal | Transport::Truncate => {
            if !keep_alive {
                let _ = stream.shutdown().await;
            }
        }
    }
    Ok(())
}
