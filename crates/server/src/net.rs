//! Accepting connections, the same way for every listener: a cap on concurrent
//! connections (a slot is held for the connection's life), a short backoff when
//! accept fails (out of file descriptors), and a clean stop on shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
};

pub struct Acceptor {
    listener: TcpListener,
    slots: Arc<Semaphore>,
    shutdown: watch::Receiver<bool>,
    name: &'static str,
}

/// An accepted connection and its slot; dropping the slot frees it.
pub struct Accepted {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub slot: OwnedSemaphorePermit,
}

impl Acceptor {
    pub fn new(listener: TcpListener, max_connections: usize, shutdown: watch::Receiver<bool>, name: &'static str) -> Self {
        Acceptor { listener, slots: Arc::new(Semaphore::new(max_connections)), shutdown, name }
    }

    /// The next connection, or `None` once shutdown is signalled.
    pub async fn next(&mut self) -> Option<Accepted> {
        loop {
            let slot = tokio::select! {
                s = self.slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
                _ = stopped(&mut self.shutdown) => return None,
            };
            let accepted = tokio::select! {
                r = self.listener.accept() => r,
                _ = stopped(&mut self.shutdown) => return None,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    return Some(Accepted { stream, peer, slot });
                }
                Err(e) => {
                    tracing::warn!(listener = self.name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// Resolves once shutdown is signalled (the watch guard is dropped inside, so
/// the future stays `Send`).
pub async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}
