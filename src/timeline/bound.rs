//! A lower bound of a run's makespan from its tests' measured durations and their
//! constraints: no schedule on the given workers can finish sooner. `serial` tests run
//! alone, so their durations add up; every other test fits under the largest of: the
//! sum over the workers, the longest test, each `serial(key)`'s sum (its tests never
//! overlap), each group's sum (one worker), the heavy tests' sum over the heavy limit,
//! each pool's sum over its size and each capped marker's sum over its cap.
//! `cargo bench --bench makespan` and `--bench workspace` and the run report all use
//! this one function.

use crate::claims::Claim;
use std::collections::BTreeMap;
use std::time::Duration;

/// One test's run: how long it took and what it held, in the manifest's claim form
/// (`serial`, `key=K`, `redis`, `pool=P`, `pool=P:K`, `heavy`, `cap=M`, `group=G`).
#[derive(Clone, Debug, Default)]
pub struct Job {
    /// Its measured duration.
    pub duration: Duration,
    /// Its claims.
    pub claims: Vec<String>,
}

/// What the run had: workers and the sizes its constraints allow.
#[derive(Clone, Debug, Default)]
pub struct Capacity {
    /// Workers (at least 1).
    pub workers: usize,
    /// `heavy_resource` tests at once.
    pub heavy_limit: usize,
    /// Pool sizes by name (`redis`: the number of databases); a pool not listed has the
    /// size its tests declare, else 1.
    pub pools: Vec<(String, usize)>,
    /// `--max-concurrency` caps by marker.
    pub caps: Vec<(String, usize)>,
}

/// The bound and what sets it.
#[derive(Clone, Debug, PartialEq)]
pub struct LowerBound {
    /// The bound: `serial` plus `term_time`.
    pub total: Duration,
    /// The summed durations of the `serial` tests.
    pub serial: Duration,
    /// The largest term of the other tests: `workers`, `longest test`, `key K`,
    /// `group G`, `heavy`, `pool P`, `cap M`, or `none` without other tests.
    pub term: String,
    /// That term's time.
    pub term_time: Duration,
    /// The jobs (indices) that make up the bound: the serial ones and the term's own.
    pub chain: Vec<usize>,
}

/// The lower bound of `jobs` on `capacity`; an unreadable claim is an error.
pub fn lower_bound(jobs: &[Job], capacity: &Capacity) -> Result<LowerBound, String> {
    let mut parsed = Vec::with_capacity(jobs.len());
    for job in jobs {
        let claims: Result<Vec<Claim>, String> =
            job.claims.iter().map(|c| Claim::parse(c)).collect();
        parsed.push((job.duration, claims?));
    }
    Ok(of(&parsed, capacity))
}

/// The same for claims already read (the run's own tests).
pub(crate) fn of(jobs: &[(Duration, Vec<Claim>)], capacity: &Capacity) -> LowerBound {
    let mut terms = Terms::default();
    for (i, (duration, claims)) in jobs.iter().enumerate() {
        terms.add_job(i, duration.as_secs_f64(), claims, capacity);
    }
    terms.bound()
}

/// The terms summed so far.
#[derive(Default)]
struct Terms {
    serial: f64,
    serial_jobs: Vec<usize>,
    longest: (f64, Option<usize>),
    /// Term name → (summed seconds, divisor, jobs).
    sums: BTreeMap<String, (f64, f64, Vec<usize>)>,
}

impl Terms {
    fn add(&mut self, name: String, divisor: usize, i: usize, d: f64) {
        let entry = self
            .sums
            .entry(name)
            .or_insert((0.0, divisor.max(1) as f64, Vec::new()));
        entry.0 += d;
        entry.2.push(i);
    }

    /// Job `i` of `d` seconds holding `claims`.
    fn add_job(&mut self, i: usize, d: f64, claims: &[Claim], capacity: &Capacity) {
        if claims.contains(&Claim::Serial) {
            self.serial += d;
            self.serial_jobs.push(i);
            return;
        }
        if d > self.longest.0 {
            self.longest = (d, Some(i));
        }
        self.add("workers".into(), capacity.workers, i, d);
        let size = |list: &[(String, usize)], name: &str| {
            list.iter().find(|(n, _)| n == name).map(|(_, k)| *k)
        };
        for claim in claims {
            let (name, divisor) = match *claim {
                Claim::Serial => continue,
                Claim::Key(key) => (format!("key {key}"), 1),
                Claim::Group(group) => (format!("group {group}"), 1),
                Claim::Heavy => ("heavy".into(), capacity.heavy_limit),
                Claim::Redis => (
                    "pool redis".into(),
                    size(&capacity.pools, "redis").unwrap_or(16),
                ),
                Claim::Pool { name, count } => {
                    let declared = count.map(|c| c as usize);
                    (
                        format!("pool {name}"),
                        size(&capacity.pools, name).or(declared).unwrap_or(1),
                    )
                }
                Claim::Cap(marker) => (
                    format!("cap {marker}"),
                    size(&capacity.caps, marker).unwrap_or(usize::MAX),
                ),
            };
            self.add(name, divisor, i, d);
        }
    }

    /// Σserial plus the largest term, and the jobs behind them.
    fn bound(self) -> LowerBound {
        let mut best = ("none".to_owned(), 0.0, Vec::new());
        if let (d, Some(i)) = self.longest {
            best = ("longest test".to_owned(), d, vec![i]);
        }
        for (name, (sum, divisor, members)) in self.sums {
            let time = sum / divisor;
            if time > best.1 {
                best = (name, time, members);
            }
        }
        let mut chain = self.serial_jobs;
        chain.extend(best.2);
        LowerBound {
            total: Duration::from_secs_f64(self.serial + best.1),
            serial: Duration::from_secs_f64(self.serial),
            term: best.0,
            term_time: Duration::from_secs_f64(best.1),
            chain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(ms: u64, claims: &[&str]) -> Job {
        Job {
            duration: Duration::from_millis(ms),
            claims: claims.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    fn capacity(workers: usize) -> Capacity {
        Capacity {
            workers,
            heavy_limit: 1,
            pools: vec![("gpu".into(), 2)],
            caps: vec![("slow".into(), 1)],
        }
    }

    #[test]
    fn serial_tests_add_up_and_the_largest_other_term_is_named() {
        let jobs = [
            job(100, &["serial"]),
            job(50, &["serial"]),
            job(40, &["key=db"]),
            job(40, &["key=db"]),
            job(10, &[]),
            job(10, &[]),
        ];
        let b = lower_bound(&jobs, &capacity(4)).unwrap();
        assert_eq!(b.serial, Duration::from_millis(150));
        assert_eq!(b.term, "key db");
        assert_eq!(b.total, Duration::from_millis(230));
        assert_eq!(b.chain, vec![0, 1, 2, 3]);
    }

    #[test]
    fn pools_heavy_caps_groups_and_the_longest_test_each_can_bound() {
        let b = |jobs: &[Job]| lower_bound(jobs, &capacity(8)).unwrap();
        let pool = b(&[
            job(30, &["pool=gpu"]),
            job(30, &["pool=gpu"]),
            job(30, &["pool=gpu"]),
        ]);
        assert_eq!(
            (pool.term.as_str(), pool.total),
            ("pool gpu", Duration::from_millis(45))
        );
        let heavy = b(&[job(20, &["heavy"]), job(20, &["heavy"])]);
        assert_eq!(
            (heavy.term.as_str(), heavy.total),
            ("heavy", Duration::from_millis(40))
        );
        let cap = b(&[job(20, &["cap=slow"]), job(25, &["cap=slow"])]);
        assert_eq!(
            (cap.term.as_str(), cap.total),
            ("cap slow", Duration::from_millis(45))
        );
        let group = b(&[job(20, &["group=g"]), job(20, &["group=g"]), job(30, &[])]);
        assert_eq!(
            (group.term.as_str(), group.total),
            ("group g", Duration::from_millis(40))
        );
        let longest = b(&[job(90, &[]), job(10, &[])]);
        assert_eq!(
            (longest.term.as_str(), longest.chain),
            ("longest test", vec![0])
        );
        assert_eq!(b(&[]).term, "none");
    }

    #[test]
    fn an_unreadable_claim_is_an_error() {
        let e = lower_bound(&[job(1, &["loud"])], &capacity(1)).unwrap_err();
        assert_eq!(e, "`loud` is not a claim");
    }
}
