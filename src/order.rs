//! Run order: name order by default, or a seeded shuffle (`--shuffle`, `--shuffle-seed`).

use crate::filter::Planned;
use std::time::{SystemTime, UNIX_EPOCH};

/// splitmix64: a small, well-mixed generator; the order only has to be reproducible.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    /// The next number.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A seed for `--shuffle` without `--shuffle-seed`.
pub(crate) fn fresh_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Shuffles `tests` in an order that depends only on `seed` and the tests' names.
pub(crate) fn shuffle(tests: &mut [Planned], seed: u64) {
    let mut rng = SplitMix(seed);
    for i in (1..tests.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        tests.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Disposition;
    use crate::plan::Test;
    use crate::registry::TestDef;

    static DEF: TestDef = TestDef::DEFAULT;
    const NAMES: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

    fn order(seed: u64) -> Vec<&'static str> {
        let mut tests: Vec<Planned> = NAMES
            .iter()
            .map(|n| Planned {
                test: Test::here(n, &DEF),
                disposition: Disposition::Run,
            })
            .collect();
        shuffle(&mut tests, seed);
        tests.iter().map(|p| p.test.name).collect()
    }

    #[test]
    fn same_seed_same_order_and_a_permutation() {
        assert_eq!(order(7), order(7));
        let mut sorted = order(7);
        sorted.sort_unstable();
        assert_eq!(sorted, NAMES);
        assert!(
            (0..20).any(|s| order(s) != NAMES),
            "shuffling never changed the order"
        );
    }
}
