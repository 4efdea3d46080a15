//! Scheduling constraints a test declares through its markers: [`Concurrency`] and
//! [`ResourceUse`]. The harness core records them; the scheduler enforces them.

/// Whether a test may overlap other tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Concurrency {
    /// Runs alongside any other test (the default).
    Parallel,
    /// `serial`: no other test of the binary overlaps it.
    Serial,
    /// `serial(key, ...)`: excludes every other test holding one of these keys.
    SerialKeys(&'static [&'static str]),
}

/// One `resource(name)` / `resource(name, count = K)` declaration: the test leases one
/// slot of pool `pool` for its whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceUse {
    /// The pool's name.
    pub pool: &'static str,
    /// The pool's size when this declaration states it (`count = K`).
    pub count: Option<u32>,
}

/// The most slots a pool may have (`--resource-pool`, config `pools`, `count = K`), and one
/// past the highest Redis database index: a pool is a list of its free slots.
pub const MAX_POOL_SIZE: u32 = 65_536;

/// The Redis database indexes `redis_isolated` tests lease from: `count` indexes starting
/// at `first`. `--redis-dbs 16` is `0-15` (the default); `--redis-dbs 1-15` leaves
/// database 0 to what the suite shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedisDbs {
    /// The lowest index leased.
    pub first: u32,
    /// How many indexes are leased (the pool's size).
    pub count: std::num::NonZeroUsize,
}

impl Default for RedisDbs {
    fn default() -> Self {
        RedisDbs {
            first: 0,
            count: std::num::NonZeroUsize::new(16).unwrap_or(std::num::NonZeroUsize::MIN),
        }
    }
}

impl RedisDbs {
    /// Parses `N` (indexes `0..N`) or `A-B` (indexes `A` to `B`, both included).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let number = |s: &str| -> Result<u32, String> {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{}` is not a database index", s.trim()))
        };
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let n = number(text)?;
                if n == 0 {
                    return Err("the pool needs at least one database".into());
                }
                (0, n - 1)
            }
        };
        if last < first {
            return Err(format!("the range {first}-{last} is empty"));
        }
        if last >= MAX_POOL_SIZE {
            return Err(format!(
                "database {last} is past the highest index partest leases ({})",
                MAX_POOL_SIZE - 1
            ));
        }
        let count = std::num::NonZeroUsize::new((last - first) as usize + 1)
            .ok_or_else(|| "the pool needs at least one database".to_owned())?;
        Ok(RedisDbs { first, count })
    }

    /// One past the highest index leased: how many databases the server must have.
    pub fn end(&self) -> u32 {
        self.first + self.count.get() as u32
    }

    /// The indexes both ranges hold; `None` when they share none.
    pub fn intersect(&self, other: &RedisDbs) -> Option<RedisDbs> {
        let first = self.first.max(other.first);
        let end = self.end().min(other.end());
        let count = std::num::NonZeroUsize::new(end.saturating_sub(first) as usize)?;
        Some(RedisDbs { first, count })
    }
}

impl std::fmt::Display for RedisDbs {
    /// `A-B`, both included (what `--redis-dbs` and config `redis_dbs` accept).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.first, self.end() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::RedisDbs;

    #[test]
    fn redis_dbs_are_a_count_or_an_inclusive_range() {
        let n = |first, count| RedisDbs {
            first,
            count: std::num::NonZeroUsize::new(count).unwrap(),
        };
        assert_eq!(RedisDbs::parse("16"), Ok(n(0, 16)));
        assert_eq!(RedisDbs::parse("1-15"), Ok(n(1, 15)));
        assert_eq!(RedisDbs::parse(" 3 - 3 "), Ok(n(3, 1)));
        assert_eq!(RedisDbs::parse("1-15").unwrap().end(), 16);
        assert_eq!(RedisDbs::default(), n(0, 16));
        assert_eq!(
            RedisDbs::parse("0"),
            Err("the pool needs at least one database".into())
        );
        assert_eq!(RedisDbs::parse("5-2"), Err("the range 5-2 is empty".into()));
        assert_eq!(
            RedisDbs::parse("0-4294967295"),
            Err("database 4294967295 is past the highest index partest leases (65535)".into())
        );
        assert_eq!(RedisDbs::parse("65536").unwrap().end(), 65_536);
        assert_eq!(
            RedisDbs::parse("a-2"),
            Err("`a` is not a database index".into())
        );
    }

    #[test]
    fn ranges_intersect_to_the_indexes_both_hold() {
        let r = |t: &str| RedisDbs::parse(t).unwrap();
        assert_eq!(r("16").intersect(&r("1-15")), Some(r("1-15")));
        assert_eq!(r("4-9").intersect(&r("7-20")), Some(r("7-9")));
        assert_eq!(r("0-3").intersect(&r("4-9")), None);
        assert_eq!(r("1-15").to_string(), "1-15");
    }
}
