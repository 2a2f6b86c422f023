//! The listener's open connections and where each one is: waiting idle,
//! receiving a request head, receiving a body, or being answered.
//!
//! The rules kept here: at most `max_connections` are open; when one more
//! arrives at the cap, the connection that has gone longest without
//! delivering a complete request (idle first, then mid-head, then mid-body)
//! is closed to make room, so slow or idle clients can never keep `/health`
//! or a signed request out. Per-address limits would not help: through a
//! tunnel every connection comes from 127.0.0.1. A reaper closes kept-alive
//! connections idle for longer than `idle_timeout`.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// Where a connection is. The order is the order of eviction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Phase {
    /// Open, no byte of a next request yet.
    Idle = 0,
    /// Some bytes of a request head (hyper's head deadline runs).
    Head = 1,
    /// A head is in; the body is being read (the body deadline runs).
    Body = 2,
    /// A complete request is being handled: never evicted.
    Working = 3,
}

impl Phase {
    fn from_u8(v: u8) -> Phase {
        match v {
            0 => Phase::Idle,
            1 => Phase::Head,
            2 => Phase::Body,
            _ => Phase::Working,
        }
    }
}

/// One open connection, shared by its task, its handlers and the registry.
pub(crate) struct Slot {
    phase: AtomicU8,
    /// When the phase began, in ms since the registry's epoch.
    since: AtomicU64,
    epoch: Instant,
    evicted: AtomicBool,
    /// Told to close the connection now.
    pub close: Notify,
}

impl Slot {
    pub fn set(&self, phase: Phase) {
        self.since.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    pub fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Relaxed))
    }

    fn evict(&self) {
        self.evicted.store(true, Ordering::Relaxed);
        self.close.notify_one();
    }
}

/// Every open connection.
pub(crate) struct Registry {
    slots: Mutex<HashMap<u64, Arc<Slot>>>,
    next: AtomicU64,
    epoch: Instant,
    max: usize,
    /// Told whenever a connection is removed (shutdown waits on it).
    pub removed: Notify,
}

impl Registry {
    pub fn new(max: usize) -> Registry {
        Registry { slots: Mutex::new(HashMap::new()), next: AtomicU64::new(0), epoch: Instant::now(), max: max.max(1), removed: Notify::new() }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection, first closing the longest-waiting one
    /// that has not delivered a request if the cap is reached. `None` when
    /// every open connection is being answered: the new one is refused.
    pub fn admit(&self) -> Option<(u64, Arc<Slot>)> {
        let mut slots = self.slots();
        let open = slots.values().filter(|s| !s.evicted.load(Ordering::Relaxed)).count();
        if open >= self.max {
            let victim = slots
                .values()
                .filter(|s| !s.evicted.load(Ordering::Relaxed) && s.phase() != Phase::Working)
                .min_by_key(|s| (s.phase(), s.since.load(Ordering::Relaxed)))?;
            tracing::debug!(phase = ?victim.phase(), "webhook listener at its connection cap: closing the longest-waiting connection");
            victim.evict();
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            phase: AtomicU8::new(Phase::Idle as u8),
            since: AtomicU64::new(self.epoch.elapsed().as_millis() as u64),
            epoch: self.epoch,
            evicted: AtomicBool::new(false),
            close: Notify::new(),
        });
        slots.insert(id, slot.clone());
        Some((id, slot))
    }

    pub fn remove(&self, id: u64) {
        self.slots().remove(&id);
        self.removed.notify_waiters();
    }

    pub fn len(&self) -> usize {
        self.slots().len()
    }

    /// Closes the connections idle for longer than `idle`.
    pub fn reap_idle(&self, idle: Duration) {
        let now = self.epoch.elapsed().as_millis() as u64;
        for slot in self.slots().values() {
            if slot.phase() == Phase::Idle && now.saturating_sub(slot.since.load(Ordering::Relaxed)) > idle.as_millis() as u64 {
                slot.evict();
            }
        }
    }
}

/// A socket that moves its slot from idle to mid-head on the first byte read.
pub(crate) struct Tracked<S> {
    pub inner: S,
    pub slot: Arc<Slot>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before && self.slot.phase() == Phase::Idle {
            self.slot.set(Phase::Head);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_longest_idle_goes_first_and_working_ones_never() {
        let r = Registry::new(3);
        let (_, working) = r.admit().unwrap();
        working.set(Phase::Working);
        let (_, head) = r.admit().unwrap();
        head.set(Phase::Head);
        let (_, idle) = r.admit().unwrap();
        let (_, fourth) = r.admit().expect("room is made");
        assert!(idle.evicted.load(Ordering::Relaxed), "the idle one is closed before the one mid-head");
        assert!(!head.evicted.load(Ordering::Relaxed) && !working.evicted.load(Ordering::Relaxed));
        fourth.set(Phase::Working);
        let (_, _fifth) = r.admit().expect("room is made");
        assert!(head.evicted.load(Ordering::Relaxed), "then the one mid-head");
        assert!(!working.evicted.load(Ordering::Relaxed), "a request being answered is never closed");
    }

    #[test]
    fn when_every_connection_is_being_answered_a_new_one_is_refused() {
        let r = Registry::new(1);
        let (_, s) = r.admit().unwrap();
        s.set(Phase::Working);
        assert!(r.admit().is_none());
    }
}
