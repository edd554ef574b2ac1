//! Fan-in for reads: identical reads in flight share one upstream call (single-flight),
//! and answers are reused for a very short time. Any write through the proxy clears the
//! cache, so an artist never sees their own action undone by a stale answer.
//!
//! Every write bumps a generation. A read joins only a read in flight of the current
//! generation, and an answer is kept only if no write happened while it was fetched: so
//! once a write is acknowledged, no later read returns what was read before it.
//!
//! The cache is keyed on the exact query, which clients choose: it holds at most
//! `max_entries` answers (the oldest goes first), and answers older than the TTL are
//! dropped whenever one is added.
//!
//! It keeps any answer type that says whether it may be reused ([`Reusable`]): the proxy's
//! [`Answer`](crate::upstream::Answer), where only the upstream's successes are kept.

use crate::upstream::{Answer, Reply};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// An answer that may be kept and handed to later or concurrent identical reads.
pub trait Reusable: Clone {
    /// Whether later reads may reuse it (a failure is never kept).
    fn reusable(&self) -> bool;
}

impl Reusable for Reply {
    fn reusable(&self) -> bool {
        self.is_success()
    }
}

impl Reusable for Answer {
    fn reusable(&self) -> bool {
        matches!(self, Answer::Upstream(reply) if reply.reusable())
    }
}

/// An identical read in flight: its leader sends the answer to everyone who joined.
type Flight<T> = Arc<watch::Sender<Option<T>>>;

pub struct Coalescer<T> {
    ttl: Duration,
    max_entries: usize,
    cached: Mutex<HashMap<String, (Instant, T)>>,
    /// Reads in flight by generation and key.
    in_flight: Mutex<HashMap<(u64, String), Flight<T>>>,
    /// Bumped by every write (with the cache locked); a read that started before it is
    /// neither joined nor cached.
    generation: AtomicU64,
}

/// How a read was answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Source {
    Upstream,
    Cache,
    Joined,
}

impl<T: Reusable> Coalescer<T> {
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Coalescer {
            ttl,
            max_entries,
            cached: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// How many answers are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.cached.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn invalidate(&self) {
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        cached.clear();
    }

    /// Answers `key` from the cache, from an identical call in flight, or by running `fetch`.
    pub async fn read<F: Future<Output = T>>(&self, key: &str, fetch: F) -> (T, Source) {
        if let Some((at, reply)) = self
            .cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            if at.elapsed() < self.ttl {
                return (reply.clone(), Source::Cache);
            }
        }
        // Join the identical call of this generation in flight, or become its leader.
        let generation = self.generation.load(Ordering::SeqCst);
        let flight_key = (generation, key.to_owned());
        let joined = {
            let mut flights = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            match flights.get(&flight_key) {
                Some(flight) => Ok(flight.subscribe()),
                None => {
                    let flight: Flight<T> = Arc::new(watch::channel(None).0);
                    flights.insert(flight_key.clone(), flight.clone());
                    Err(flight)
                }
            }
        };
        let mut flight = match joined {
            Ok(receiver) => receiver,
            Err(flight) => {
                let reply = self.lead(&flight_key, fetch, flight).await;
                return (reply, Source::Upstream);
            }
        };
        if let Ok(reply) = flight.wait_for(Option::is_some).await {
            if let Some(reply) = reply.clone() {
                return (reply, Source::Joined);
            }
        }
        // The leader went away without an answer (cancelled): fetch alone.
        (fetch.await, Source::Upstream)
    }

    /// Keeps `reply` for `key` unless a write came since `generation` began, within the
    /// bounds: answers past the TTL go, then the oldest while the cache is full.
    fn keep(&self, key: &str, generation: u64, reply: T) {
        if self.max_entries == 0 || self.ttl.is_zero() {
            return;
        }
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        cached.retain(|_, (at, _)| at.elapsed() < self.ttl);
        while cached.len() >= self.max_entries && !cached.contains_key(key) {
            let oldest = cached
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(oldest) => cached.remove(&oldest),
                None => break,
            };
        }
        cached.insert(key.to_owned(), (Instant::now(), reply));
    }

    async fn lead<F: Future<Output = T>>(
        &self,
        flight_key: &(u64, String),
        fetch: F,
        flight: Flight<T>,
    ) -> T {
        /// Removes the flight even if this request is cancelled mid-way.
        struct Landing<'a, T>(&'a Coalescer<T>, &'a (u64, String));
        impl<T> Drop for Landing<'_, T> {
            fn drop(&mut self) {
                self.0
                    .in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(self.1);
            }
        }
        let _landing = Landing(self, flight_key);
        let (generation, key) = flight_key;
        let reply = fetch.await;
        if reply.reusable() {
            self.keep(key, *generation, reply.clone());
        }
        flight.send_replace(Some(reply.clone()));
        reply
    }
}

#[cfg(test)]
mod tests;
