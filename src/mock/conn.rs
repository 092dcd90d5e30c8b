//! Connections with a kill switch, so a scripted fault can drop one without answering.
//!
//! The listener wraps each accepted `TcpStream`; the handler side reaches the switch through
//! `ConnectInfo<ConnInfo>`. Once killed, every read and write fails, so hyper closes the socket
//! before a byte of the response is sent.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// How many connections, and how long one may sit without a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    pub max_connections: usize,
    pub idle_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: 1024,
            idle_timeout: Duration::from_secs(10),
        }
    }
}

/// A TCP listener whose connections can be killed, time out when idle, and are capped.
pub struct KillableListener {
    inner: TcpListener,
    limits: ConnLimits,
    permits: Arc<Semaphore>,
}

impl KillableListener {
    pub fn new(inner: TcpListener, limits: ConnLimits) -> KillableListener {
        KillableListener {
            inner,
            limits,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
        }
    }
}

/// An accepted connection and its switch.
pub struct KillableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
    busy: Arc<AtomicUsize>,
    idle_timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
}

/// What a handler knows about its connection.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub remote: SocketAddr,
    killed: Arc<AtomicBool>,
    busy: Arc<AtomicUsize>,
}

/// Marks the connection busy while a handler serves a request on it: its idle deadline does not
/// run meanwhile (a `delay` fault, a slow upstream).
pub async fn track_busy(
    ConnectInfo(info): ConnectInfo<ConnInfo>,
    request: Request,
    next: Next,
) -> Response {
    struct Busy(Arc<AtomicUsize>);
    impl Drop for Busy {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    info.busy.fetch_add(1, Ordering::SeqCst);
    let _busy = Busy(info.busy.clone());
    next.run(request).await
}

impl ConnInfo {
    /// Drops the connection instead of answering.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
    }
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // At the cap, wait for a connection to close before accepting the next.
        let permit = match Arc::clone(&self.permits).acquire_owned().await {
            Ok(permit) => permit,
            Err(_) => std::future::pending().await,
        };
        let (io, addr) = Listener::accept(&mut self.inner).await;
        let _ = io.set_nodelay(true);
        (
            KillableStream {
                inner: io,
                killed: Arc::new(AtomicBool::new(false)),
                busy: Arc::new(AtomicUsize::new(0)),
                idle_timeout: self.limits.idle_timeout,
                deadline: Box::pin(tokio::time::sleep(self.limits.idle_timeout)),
                _permit: permit,
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        ConnInfo {
            remote: *stream.remote_addr(),
            killed: stream.io().killed.clone(),
            busy: stream.io().busy.clone(),
        }
    }
}

impl KillableStream {
    fn push_deadline(&mut self) {
        let at = Instant::now() + self.idle_timeout;
        self.deadline.as_mut().reset(at);
    }
}

fn dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "connection dropped by a fault",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(dropped()));
        }
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Pending => {
                if this.busy.load(Ordering::SeqCst) > 0 {
                    this.push_deadline();
                    return Poll::Pending;
                }
                match this.deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no request within the idle timeout",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            ready => ready,
        }
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(dropped()));
        }
        let this = &mut *self;
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            // A response went out: the next request gets a fresh window.
            this.push_deadline();
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
