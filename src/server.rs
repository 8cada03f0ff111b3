//! The HTTP server the portal runs on (the app's `serve` hook). Loco's own
//! `axum::serve` has no timeouts: a client trickling its request headers
//! holds a connection forever. Here every connection is HTTP/1.1 (as with
//! `axum::serve`) and gets a header-read timeout, the number of open
//! connections is capped (past the cap the server stops accepting until one
//! closes), and shutdown stays graceful: accepting stops, connections in
//! flight finish their request. Request bodies are read with their own
//! timeouts by the session guard ([`crate::controllers::session`]).
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{extract::ConnectInfo, Router};
use hyper::{body::Incoming, server::conn::http1, Request};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use serde::Deserialize;
use tokio::{net::TcpListener, sync::Semaphore};

pub mod metrics;

/// `settings.server`: limits of every connection.
#[derive(Clone, Debug, Deserialize)]
pub struct ServerLimits {
    /// A client must send its whole request head within this many seconds.
    #[serde(default = "default_header_read_timeout_secs")]
    pub header_read_timeout_secs: u64,
    /// Longest pause, in seconds, between two parts of a request body.
    #[serde(default = "default_body_idle_timeout_secs")]
    pub body_idle_timeout_secs: u64,
    /// A request body must have arrived whole within this many seconds.
    #[serde(default = "default_body_read_timeout_secs")]
    pub body_read_timeout_secs: u64,
    /// Open connections at most; further clients wait in the listen queue.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Connections the kernel queues while the server is busy accepting
    /// (capped by `net.core.somaxconn`). The standard 128 overflowed when a
    /// few hundred browsers connected at once: refused SYNs are sent again
    /// only after a second.
    #[serde(default = "default_listen_backlog")]
    pub listen_backlog: u32,
    /// On shutdown, connections still busy after this many seconds are dropped.
    #[serde(default = "default_shutdown_grace_secs")]
    pub shutdown_grace_secs: u64,
    /// Addresses of the reverse proxies in front of the portal (a list, or
    /// one comma-separated string as the environment gives it). Only a
    /// request from one of them has its client taken from
    /// `X-Forwarded-For`; empty: the header is never believed.
    #[serde(default, deserialize_with = "proxies")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

fn proxies<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<std::net::IpAddr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        One(String),
        Many(Vec<String>),
    }
    let given = match Given::deserialize(d)? {
        Given::One(s) => s.split(',').map(str::to_string).collect(),
        Given::Many(v) => v,
    };
    given
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| serde::de::Error::custom(format!("trusted_proxies: {s:?} is not an IP address"))))
        .collect()
}

/// The client of a request that reached us from `peer`: `peer` itself,
/// unless `peer` is a trusted proxy; then the nearest address in
/// `X-Forwarded-For` (read from the right) that is not a trusted proxy.
/// A malformed header counts as no header.
#[must_use]
pub fn client_address(peer: std::net::IpAddr, forwarded_for: Option<&str>, trusted: &[std::net::IpAddr]) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(chain) = forwarded_for else { return peer };
    let hops: Option<Vec<std::net::IpAddr>> = chain.split(',').map(|h| h.trim().parse().ok()).collect();
    let Some(hops) = hops else { return peer };
    hops.iter().rev().find(|ip| !trusted.contains(ip)).or_else(|| hops.first()).copied().unwrap_or(peer)
}

const fn default_header_read_timeout_secs() -> u64 {
    10
}
const fn default_body_idle_timeout_secs() -> u64 {
    15
}
const fn default_body_read_timeout_secs() -> u64 {
    120
}
const fn default_max_connections() -> usize {
    512
}
const fn default_shutdown_grace_secs() -> u64 {
    30
}

const fn default_listen_backlog() -> u32 {
    1024
}

impl Default for ServerLimits {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every field has a default")
    }
}

impl ServerLimits {
    #[must_use]
    pub const fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    #[must_use]
    pub const fn body_idle_timeout(&self) -> Duration {
        Duration::from_secs(self.body_idle_timeout_secs)
    }

    #[must_use]
    pub const fn body_read_timeout(&self) -> Duration {
        Duration::from_secs(self.body_read_timeout_secs)
    }
}

/// A listener on `binding:port` (a name or an address) with the listen
/// queue of [`ServerLimits::listen_backlog`].
///
/// # Errors
/// When the name does not resolve or the address cannot be bound.
pub async fn listen(binding: &str, port: u16, limits: &ServerLimits) -> std::io::Result<TcpListener> {
    let addr = tokio::net::lookup_host((binding, port))
        .await?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, format!("{binding} resolves to no address")))?;
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(limits.listen_backlog.max(1))
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the
/// open connections finish (at most `shutdown_grace_secs`).
///
/// # Errors
/// Never for a single failed connection (logged); only when the listener
/// itself cannot be read.
pub async fn run(listener: TcpListener, router: Router, limits: &ServerLimits, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout()).keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        // What `into_make_service_with_connect_info` does: the peer address
        // as `ConnectInfo` for the session guard.
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            tower_service::Service::call(&mut router.clone(), req)
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, %err, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down: waiting for open connections");
    if tokio::time::timeout(Duration::from_secs(limits.shutdown_grace_secs), graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after the grace period; closing them");
    }
    Ok(())
}
