//! Fan-in for reads: identical reads in flight share one upstream call (single-flight),
//! and answers are reused for a very short time. Any write through the proxy clears the
//! cache, so an artist never sees their own action undone by a stale answer.
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
    in_flight: Mutex<HashMap<String, Flight<T>>>,
    /// Bumped by every write; a read that started before it is not cached.
    generation: Mutex<u64>,
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
            generation: Mutex::new(0),
        }
    }

    /// How many answers are kept (tests and metrics).
    pub fn len(&self) -> usize {
        self.cached.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn invalidate(&self) {
        *self.generation.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
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
        // Join the identical call in flight, or become its leader.
        let joined = {
            let mut flights = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            match flights.get(key) {
                Some(flight) => Ok(flight.subscribe()),
                None => {
                    let flight: Flight<T> = Arc::new(watch::channel(None).0);
                    flights.insert(key.to_owned(), flight.clone());
                    Err(flight)
                }
            }
        };
        let mut flight = match joined {
            Ok(receiver) => receiver,
            Err(flight) => return (self.lead(key, fetch, flight).await, Source::Upstream),
        };
        if let Ok(reply) = flight.wait_for(Option::is_some).await {
            if let Some(reply) = reply.clone() {
                return (reply, Source::Joined);
            }
        }
        // The leader went away without an answer (cancelled): fetch alone.
        (fetch.await, Source::Upstream)
    }

    /// Keeps `reply` for `key`, within the bounds: answers past the TTL go, then the oldest
    /// while the cache is full.
    fn keep(&self, key: &str, reply: T) {
        if self.max_entries == 0 || self.ttl.is_zero() {
            return;
        }
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
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

    async fn lead<F: Future<Output = T>>(&self, key: &str, fetch: F, flight: Flight<T>) -> T {
        /// Removes the flight even if this request is cancelled mid-way.
        struct Landing<'a, T>(&'a Coalescer<T>, &'a str);
        impl<T> Drop for Landing<'_, T> {
            fn drop(&mut self) {
                self.0
                    .in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(self.1);
            }
        }
        let _landing = Landing(self, key);
        let generation = *self.generation.lock().unwrap_or_else(|e| e.into_inner());
        let reply = fetch.await;
        let still_current =
            generation == *self.generation.lock().unwrap_or_else(|e| e.into_inner());
        if reply.reusable() && still_current {
            self.keep(key, reply.clone());
        }
        flight.send_replace(Some(reply.clone()));
        reply
    }
}

#[cfg(test)]
mod tests;
