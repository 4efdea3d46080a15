//! The order in which free workers look at pending tests: `serial` tests first (they run
//! alone, so they cost the same wall time whenever they run, and running them first means
//! no worker ever idles waiting for the others to drain), then the most critical first.
//! A test's criticality is the longest of: its own expected duration and the remaining
//! work of every constrained chain it belongs to (a serial key's tests, a group, the heavy
//! tests divided by the heavy limit, a pool's tests divided by its size, a capped marker's
//! tests divided by its cap), so long chains start early and the run ends packed.

use super::requirements::{Capacities, Needs};
use std::time::Duration;

/// Expected duration of tests without history: the mean of those with, or 1 ms.
fn fill_unknown(estimates: &[Option<Duration>]) -> Vec<f64> {
    let known: Vec<f64> = estimates
        .iter()
        .flatten()
        .map(Duration::as_secs_f64)
        .collect();
    let default = if known.is_empty() {
        0.001
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    estimates
        .iter()
        .map(|e| e.map_or(default, |d| d.as_secs_f64()))
        .collect()
}

/// Positions of the tests in the order workers should consider them. `runs[i]` is false for
/// tests reported without running (ignored); `estimates` is empty when nothing is known.
/// With one worker, or a shuffled plan, the given order is kept (serial tests first when
/// there are several workers).
pub(crate) fn order(
    needs: &Needs,
    runs: &[bool],
    limits: &Capacities,
    estimates: &[Option<Duration>],
    workers: usize,
    keep_order: bool,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..needs.len()).collect();
    if workers <= 1 {
        return order;
    }
    if keep_order {
        order.sort_by_key(|&i| !needs.get(i).is_some_and(|r| r.serial));
        return order;
    }
    if needs.all_plain() && estimates.is_empty() {
        return order; // nothing to prefer: name order
    }
    let est = if estimates.is_empty() {
        vec![0.001; needs.len()]
    } else {
        fill_unknown(estimates)
    };
    let est: Vec<f64> = (0..needs.len())
        .map(|i| if runs[i] { est[i] } else { 0.0 })
        .collect();
    let criticality = criticality(needs, limits, &est);
    let est = |i: usize| est[i];
    order.sort_by(|&a, &b| {
        let serial = |i: usize| needs.get(i).is_some_and(|r| r.serial);
        (serial(b).cmp(&serial(a)))
            .then(criticality[b].total_cmp(&criticality[a]))
            .then(est(b).total_cmp(&est(a)))
            .then(a.cmp(&b))
    });
    order
}

/// Each test's criticality: the longest of its own expected duration and the remaining
/// work of each constrained chain it belongs to (its keys, its group, each pool and cap
/// divided by its size, the heavy tests divided by the heavy limit).
fn criticality(needs: &Needs, limits: &Capacities, est: &[f64]) -> Vec<f64> {
    let mut key_sum = vec![0.0; limits.keys.len()];
    let mut group_sum = vec![0.0; limits.groups.len()];
    let mut pool_sum = vec![0.0; limits.pools.len()];
    let mut cap_sum = vec![0.0; limits.caps.len()];
    let mut heavy_sum = 0.0;
    for (i, r) in (0..needs.len()).filter_map(|i| Some((i, needs.get(i)?))) {
        let d = est[i];
        r.keys.iter().for_each(|&k| key_sum[k as usize] += d);
        r.pools.iter().for_each(|&p| pool_sum[p as usize] += d);
        r.caps.iter().for_each(|&c| cap_sum[c as usize] += d);
        if let Some(g) = r.group {
            group_sum[g as usize] += d;
        }
        if r.heavy {
            heavy_sum += d;
        }
    }
    (0..needs.len())
        .map(|i| {
            let mut c = est[i];
            let Some(r) = needs.get(i) else { return c };
            for &k in r.keys.iter() {
                c = c.max(key_sum[k as usize]);
            }
            for &p in r.pools.iter() {
                c = c.max(pool_sum[p as usize] / limits.pools[p as usize].size as f64);
            }
            for &m in r.caps.iter() {
                c = c.max(cap_sum[m as usize] / limits.caps[m as usize].1 as f64);
            }
            if let Some(g) = r.group {
                c = c.max(group_sum[g as usize]);
            }
            if r.heavy {
                c = c.max(heavy_sum / limits.heavy_limit as f64);
            }
            c
        })
        .collect()
}
