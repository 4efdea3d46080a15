//! Property tests of the pure core: random suites, random worker counts, random
//! completion orders. Every invariant is checked by an independent observer at every step,
//! and every run must finish (no deadlock) with every test started exactly once.

use super::admission::Lease;
use super::priority::order;
use super::requirements::{Capacities, Needs, Pool, Requirements};
use super::{Next, Scheduler};
use crate::order::SplitMix;
use std::collections::HashMap;
use std::time::Duration;

struct Rng(SplitMix);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn random_suite(rng: &mut Rng) -> (Capacities, Vec<Requirements>, Vec<bool>) {
    let limits = Capacities {
        keys: vec!["a", "b", "c"],
        heavy_limit: 1 + rng.below(3) as usize,
        pools: vec![
            Pool {
                name: "redis",
                size: 1 + rng.below(16) as usize,
            },
            Pool {
                name: "pg",
                size: 1 + rng.below(3) as usize,
            },
        ],
        caps: vec![("integration".into(), 1 + rng.below(4) as usize)],
        groups: vec!["g0".into(), "g1".into(), "g2".into()],
    };
    let n = 1 + rng.below(120) as usize;
    let mut reqs = Vec::new();
    let mut runs = Vec::new();
    for _ in 0..n {
        let mut r = Requirements {
            serial: rng.chance(6),
            heavy: rng.chance(10),
            ..Default::default()
        };
        if rng.chance(15) {
            r.keys = (0..3).filter(|_| rng.chance(50)).collect();
        }
        if rng.chance(20) {
            r.pools = (0..2).filter(|_| rng.chance(60)).collect();
        }
        if rng.chance(15) {
            r.caps = vec![0].into();
        }
        if rng.chance(12) {
            r.group = Some(rng.below(3) as u32);
        }
        reqs.push(r);
        runs.push(!rng.chance(5));
    }
    (limits, reqs, runs)
}

/// An observer that knows nothing of the scheduler's internals.
#[derive(Default)]
struct Observer {
    running: HashMap<usize, (usize, Lease)>,
    group_worker: HashMap<u32, usize>,
}

impl Observer {
    fn check_start(
        &mut self,
        i: usize,
        worker: usize,
        lease: &Lease,
        limits: &Capacities,
        reqs: &[Requirements],
    ) {
        let r = &reqs[i];
        assert!(
            self.running.values().all(|(w, _)| *w != worker),
            "worker {worker} runs two tests"
        );
        let others: Vec<&Requirements> = self.running.keys().map(|&j| &reqs[j]).collect();
        assert!(
            !others.iter().any(|o| o.serial),
            "a test started while a serial test runs"
        );
        assert!(
            !r.serial || others.is_empty(),
            "a serial test started while others run"
        );
        for k in r.keys.iter() {
            assert!(
                !others.iter().any(|o| o.keys.contains(k)),
                "serial key {k} overlaps"
            );
        }
        if r.heavy {
            assert!(
                others.iter().filter(|o| o.heavy).count() < limits.heavy_limit,
                "heavy limit exceeded"
            );
        }
        for c in r.caps.iter() {
            assert!(
                others.iter().filter(|o| o.caps.contains(c)).count() < limits.caps[*c as usize].1,
                "cap exceeded"
            );
        }
        assert_eq!(lease.slots.len(), r.pools.len(), "one slot per pool");
        for &(p, slot) in &lease.slots {
            assert!(
                (slot as usize) < limits.pools[p as usize].size,
                "slot out of range"
            );
            let shared = self
                .running
                .values()
                .any(|(_, l)| l.slots.contains(&(p, slot)));
            assert!(!shared, "pool {p} slot {slot} leased twice");
        }
        if let Some(g) = r.group {
            let owner = *self.group_worker.entry(g).or_insert(worker);
            assert_eq!(owner, worker, "group {g} on two workers");
        }
        self.running.insert(i, (worker, lease.clone()));
    }
}

fn simulate(seed: u64) {
    let mut rng = Rng(SplitMix(seed));
    let (limits, reqs, runs) = random_suite(&mut rng);
    let workers = 1 + rng.below(12) as usize;
    let estimates: Vec<Option<Duration>> = (0..reqs.len())
        .map(|_| {
            rng.chance(70)
                .then(|| Duration::from_millis(1 + rng.below(60)))
        })
        .collect();
    let needs = Needs::from(reqs.clone());
    let ord = order(&needs, &runs, &limits, &estimates, workers, rng.chance(20));
    let mut sched = Scheduler::new(needs, runs.clone(), ord, &limits, None);
    let mut obs = Observer::default();
    let mut started = vec![0u32; reqs.len()];
    let mut done_workers = vec![false; workers];
    loop {
        let mut progressed = false;
        for (w, done) in done_workers.iter_mut().enumerate() {
            if *done || obs.running.values().any(|(rw, _)| *rw == w) {
                continue;
            }
            match sched.next_for(w) {
                Next::Run(i, lease) => {
                    obs.check_start(i, w, &lease, &limits, &reqs);
                    started[i] += 1;
                    progressed = true;
                }
                Next::Skip(i) => {
                    assert!(!runs[i]);
                    started[i] += 1;
                    progressed = true;
                }
                Next::Wait => {}
                Next::Done => *done = true,
            }
        }
        if obs.running.is_empty() {
            if done_workers.iter().all(|d| *d) {
                break;
            }
            assert!(
                progressed,
                "seed {seed}: deadlock: nothing runs, nothing can start"
            );
            continue;
        }
        let victims: Vec<usize> = obs.running.keys().copied().collect();
        let i = victims[rng.below(victims.len() as u64) as usize];
        let (_, lease) = obs.running.remove(&i).unwrap();
        sched.finish(i, lease, false);
    }
    assert!(
        started.iter().all(|&s| s == 1),
        "seed {seed}: every test starts exactly once: {started:?}"
    );
    assert_eq!(sched.running(), 0);
}

#[test]
fn random_suites_never_violate_an_invariant_or_deadlock() {
    for seed in 0..3000 {
        simulate(seed);
    }
}

#[test]
fn maxfail_stops_starting_and_lists_the_rest() {
    let reqs = vec![Requirements::default(); 5];
    let limits = Capacities {
        heavy_limit: 1,
        ..Capacities::default()
    };
    let mut sched = Scheduler::new(
        reqs.into(),
        vec![true; 5],
        (0..5).collect(),
        &limits,
        Some(1),
    );
    let Next::Run(0, lease) = sched.next_for(0) else {
        panic!()
    };
    let Next::Run(1, other) = sched.next_for(1) else {
        panic!()
    };
    assert!(
        sched.finish(0, lease, true),
        "the first failure stops the run"
    );
    assert_eq!(sched.next_for(0), Next::Done);
    sched.finish(1, other, false);
    assert_eq!(sched.not_run(), vec![2, 3, 4]);
}

#[test]
fn serial_tests_come_first_then_the_longest_chain() {
    let limits = Capacities {
        keys: vec!["db"],
        heavy_limit: 1,
        ..Capacities::default()
    };
    let keyed = Requirements {
        keys: vec![0].into(),
        ..Default::default()
    };
    let reqs = vec![
        Requirements::default(),
        keyed.clone(),
        keyed,
        Requirements {
            serial: true,
            ..Default::default()
        },
    ];
    let reqs = Needs::from(reqs);
    let ms = |n| Some(Duration::from_millis(n));
    let ord = order(
        &reqs,
        &[true; 4],
        &limits,
        &[ms(50), ms(20), ms(20), ms(5)],
        4,
        false,
    );
    assert_eq!(
        ord,
        vec![3, 0, 1, 2],
        "serial first, then 50 ms, then the 40 ms key chain"
    );
    let ord = order(
        &reqs,
        &[true; 4],
        &limits,
        &[ms(30), ms(20), ms(20), ms(5)],
        4,
        false,
    );
    assert_eq!(
        ord,
        vec![3, 1, 2, 0],
        "the 40 ms chain outranks a 30 ms test"
    );
    assert_eq!(
        order(&reqs, &[true; 4], &limits, &[None; 4], 1, false),
        vec![0, 1, 2, 3],
        "one worker keeps name order"
    );
}

#[test]
fn pool_slots_are_the_lowest_free_ones() {
    let limits = Capacities {
        heavy_limit: 1,
        pools: vec![Pool {
            name: "redis",
            size: 3,
        }],
        ..Capacities::default()
    };
    let r = Requirements {
        pools: vec![0].into(),
        ..Default::default()
    };
    let mut sched = Scheduler::new(
        vec![r; 4].into(),
        vec![true; 4],
        (0..4).collect(),
        &limits,
        None,
    );
    let slots: Vec<Lease> = (0..3)
        .map(|w| match sched.next_for(w) {
            Next::Run(_, lease) => lease,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        slots.iter().map(|l| l.slots[0].1).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(sched.next_for(3), Next::Wait, "the pool is exhausted");
    sched.finish(1, slots[1].clone(), false);
    assert_eq!(
        sched.next_for(3),
        Next::Run(
            3,
            Lease {
                slots: vec![(0, 1)]
            }
        )
    );
}
