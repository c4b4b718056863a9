//! The bound on requests in flight that resolving and pipelined jar downloads share: `--jobs`
//! slots (so `--jobs` connections at most), split between two kinds of request. POMs and metadata
//! are on the critical path of a resolution (each level waits for the last of them), jars only
//! need enough connections to keep the link busy; so jars are guaranteed a share of the slots
//! while they wait, POMs the rest, and whichever kind has nothing waiting lends its share to the
//! other. Without the guarantee a level of POMs would stall every jar behind it, and a queue of
//! jars would stall the next level's POMs; without the lending, either alone would run at half
//! speed.

use std::sync::Mutex;

use tokio::sync::Notify;

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

    fn share(&self, class: Class) -> usize {
        match class {
            Class::Bulk => self.bulk_share,
            Class::Resolve => self.jobs.saturating_sub(self.bulk_share).max(1),
        }
    }

    /// Whether `class` may take a free slot now: always within its share; beyond it only while
    /// the other kind has nothing waiting or already holds its own share.
    fn may_take(&self, s: &State, class: Class) -> bool {
        let (me, other) = (index(class), 1 - index(class));
        let other_class = if other == 0 {
            Class::Resolve
        } else {
            Class::Bulk
        };
        s.running[0] + s.running[1] < self.jobs
            && (s.running[me] < self.share(class)
                || s.waiting[other] == 0
                || s.running[other] >= self.share(other_class))
    }

    /// Waits for a slot of `class`.
    pub async fn slot(&self, class: Class) -> Slot<'_> {
        let i = index(class);
        let mut counted = false;
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a slot given back in between still wakes us.
            freed.as_mut().enable();
            {
                let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if self.may_take(&s, class) {
                    if counted {
                        s.waiting[i] -= 1;
                    }
                    s.running[i] += 1;
                    return Slot { pool: self, class };
                }
                if !counted {
                    s.waiting[i] += 1;
                    counted = true;
                }
            }
            freed.await;
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
            .map(|_| pool.slot(Class::Resolve).now_or_never().unwrap())
            .collect();
        let mut waiters: Vec<_> = [Class::Bulk, Class::Bulk, Class::Bulk]
            .into_iter()
            .chain([Class::Resolve; 3])
            .map(|c| Box::pin(pool.slot(c)))
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
}
