//! The bound on requests in flight that resolving and pipelined jar downloads share: `--jobs`
//! slots (so `--jobs` connections at most), split between two kinds of request. POMs and metadata
//! are on the critical path of a resolution (each level waits for the last of them), jars only
//! need enough connections to keep the link busy; so jars are guaranteed a share of the slots
//! while they wait, POMs the rest, and whichever kind has nothing waiting lends its share to the
//! other. Without the guarantee a level of POMs would stall every jar behind it, and a queue of
//! jars would stall the next level's POMs; without the lending, either alone would run at half
//! speed.
//!
//! Over HTTP/1.1 a request in flight is a connection, so `--jobs` bounds connections. A remote
//! that answers over HTTP/2 carries requests as streams, POMs on one connection and jars on
//! another (`Endpoint::bulk_client`); there each kind may have [`STREAMS_PER_JOB`] times `jobs`
//! requests in flight (64 at the default 8, under the 100–128 streams servers allow per
//! connection), since what limits a resolution is then round trips, not connections.

use std::sync::Mutex;

use tokio::sync::Notify;

/// How many requests in flight one `--jobs` slot stands for on an HTTP/2 remote.
pub const STREAMS_PER_JOB: usize = 8;

/// Which share a request counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// POMs, their `.sha1`, `maven-metadata.xml`: the resolution waits for them.
    Resolve,
    /// Jars and their checksum files, fetched behind the resolution.
    Bulk,
}

#[derive(Debug, Default)]
struct State {
    running: [usize; 2],
    waiting: [usize; 2],
}

/// `jobs` slots, `bulk_share` of them reserved for [`Class::Bulk`] while bulk requests wait.
#[derive(Debug)]
pub struct Pool {
    jobs: usize,
    bulk_share: usize,
    state: Mutex<State>,
    freed: Notify,
}

/// A slot, given back when dropped.
#[derive(Debug)]
pub struct Slot<'a> {
    pool: &'a Pool,
    class: Class,
}

fn index(class: Class) -> usize {
    match class {
        Class::Resolve => 0,
        Class::Bulk => 1,
    }
}

impl Pool {
    /// A pool of `jobs` slots (at least one); bulk requests are guaranteed half of them (at
    /// least one) while they wait, resolve requests the rest.
    pub fn new(jobs: usize) -> Pool {
        let jobs = jobs.max(1);
        Pool {
            jobs,
            bulk_share: (jobs / 2).max(1),
            state: Mutex::new(State::default()),
            freed: Notify::new(),
        }
    }

    /// The slots of `class` out of `jobs`.
    fn share(jobs: usize, bulk_share: usize, class: Class) -> usize {
        match class {
            Class::Bulk => bulk_share,
            Class::Resolve => jobs.saturating_sub(bulk_share).max(1),
        }
    }

    /// Whether `class` may take a free slot now: always within its share; beyond it only while
    /// the other kind has nothing waiting or already holds its own share. `multiplexed`: the
    /// request goes to an HTTP/2 remote, where each kind may have [`STREAMS_PER_JOB`] times
    /// `jobs` requests in flight.
    fn may_take(&self, s: &State, class: Class, multiplexed: bool) -> bool {
        let (jobs, bulk_share) = (self.jobs, self.bulk_share);
        let (me, other) = (index(class), 1 - index(class));
        if multiplexed {
            // Each kind has an HTTP/2 connection of its own (`Endpoint::bulk_client`): nothing
            // to share, only streams to bound.
            return s.running[me] < jobs * STREAMS_PER_JOB;
        }
        let other_class = if other == 0 {
            Class::Resolve
        } else {
            Class::Bulk
        };
        s.running[0] + s.running[1] < jobs
            && (s.running[me] < Self::share(jobs, bulk_share, class)
                || s.waiting[other] == 0
                || s.running[other] >= Self::share(jobs, bulk_share, other_class))
    }

    /// Waits for a slot of `class` (on an HTTP/2 remote when `multiplexed`). Cancel-safe: a
    /// wait given up (its future dropped) is no longer counted as waiting.
    pub async fn slot(&self, class: Class, multiplexed: bool) -> Slot<'_> {
        let i = index(class);
        let mut waiting = Waiting {
            pool: self,
            index: i,
            counted: false,
        };
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a slot given back in between still wakes us.
            freed.as_mut().enable();
            {
                let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if self.may_take(&s, class, multiplexed) {
                    if waiting.counted {
                        s.waiting[i] -= 1;
                        waiting.counted = false;
                    }
                    s.running[i] += 1;
                    return Slot { pool: self, class };
                }
                if !waiting.counted {
                    s.waiting[i] += 1;
                    waiting.counted = true;
                }
            }
            freed.await;
        }
    }
}

/// A request counted as waiting for a slot until it gets one or gives up.
struct Waiting<'a> {
    pool: &'a Pool,
    index: usize,
    counted: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.counted {
            let mut s = self.pool.state.lock().unwrap_or_else(|e| e.into_inner());
            s.waiting[self.index] -= 1;
            drop(s);
            // The other kind may take what it held back for this one.
            self.pool.freed.notify_waiters();
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut s = self.pool.state.lock().unwrap_or_else(|e| e.into_inner());
        s.running[index(self.class)] -= 1;
        drop(s);
        self.pool.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[test]
    fn shares_are_guaranteed_while_waiting_and_lent_otherwise() {
        let pool = Pool::new(4);
        // Nothing else waits: resolve requests may take every slot.
        let held: Vec<Slot<'_>> = (0..4)
            .map(|_| pool.slot(Class::Resolve, false).now_or_never().unwrap())
            .collect();
        let mut waiters: Vec<_> = [Class::Bulk, Class::Bulk, Class::Bulk]
            .into_iter()
            .chain([Class::Resolve; 3])
            .map(|c| Box::pin(pool.slot(c, false)))
            .collect();
        assert!(waiters
            .iter_mut()
            .all(|w| w.as_mut().now_or_never().is_none()));
        drop(held);
        // Both kinds wait: bulk gets its share of 2, resolve the other 2, nobody more.
        // Slots are kept (not dropped) until the end, so each answer sees the ones before it.
        let got: Vec<Option<Slot<'_>>> = waiters
            .iter_mut()
            .map(|w| w.as_mut().now_or_never())
            .collect();
        let taken: Vec<bool> = got.iter().map(Option::is_some).collect();
        assert_eq!(taken, [true, true, false, true, true, false]);
    }

    #[test]
    fn an_http2_remote_gets_streams_per_job_times_the_slots_per_kind() {
        let pool = Pool::new(2);
        let held: Vec<Slot<'_>> = [Class::Bulk, Class::Resolve]
            .into_iter()
            .flat_map(|c| (0..2 * STREAMS_PER_JOB).map(move |_| c))
            .map(|c| pool.slot(c, true).now_or_never().unwrap())
            .collect();
        for c in [Class::Bulk, Class::Resolve] {
            assert!(Box::pin(pool.slot(c, true))
                .as_mut()
                .now_or_never()
                .is_none());
        }
        // An HTTP/1.1 request still counts every request in flight against `jobs` connections.
        drop(held);
        let one = pool.slot(Class::Resolve, false).now_or_never().unwrap();
        let two = pool.slot(Class::Resolve, false).now_or_never().unwrap();
        assert!(Box::pin(pool.slot(Class::Resolve, false))
            .as_mut()
            .now_or_never()
            .is_none());
        drop((one, two));
    }
}
