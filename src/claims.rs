//! A test's claims: what it holds while it runs, computed once from its markers and the
//! run's caps. The scheduler, the nextest bridge, the cross-process locks and the
//! `cargo partest` manifest all read this list and nothing else, so a new marker is the
//! macro plus a variant here (every reader's `match` is exhaustive).

use crate::constraints::Concurrency;
use crate::registry::TestDef;
use std::fmt;
use std::num::NonZeroUsize;

/// One thing a test holds while it runs. The derived order (variant, then name) is the
/// order claims are listed and cross-process locks are taken in, so two test processes
/// never wait on each other in a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Claim {
    /// `serial`: the whole run, no other test alongside.
    Serial,
    /// `serial(key)`: the mutex `key`.
    Key(&'static str),
    /// `redis_isolated`: one Redis database of the run's range.
    Redis,
    /// `resource(name)`: one slot of pool `name`; `count` when the test states the size.
    Pool {
        /// The pool.
        name: &'static str,
        /// `count = K` as the test declared it.
        count: Option<u32>,
    },
    /// `heavy_resource`: one of the run's heavy slots.
    Heavy,
    /// A marker the run caps (`--max-concurrency NAME=N`): one of its slots.
    Cap(&'static str),
    /// `group = "name"`: runs on the worker its group holds.
    Group(&'static str),
}

/// The claims of `def` in a run capping `caps`, sorted, without repeats. A test with no
/// markers that constrain it gets an empty list, which does not allocate.
pub(crate) fn of(def: &TestDef, caps: &[(String, NonZeroUsize)]) -> Vec<Claim> {
    let mut claims = Vec::new();
    match def.concurrency {
        Concurrency::Parallel => {}
        Concurrency::Serial => claims.push(Claim::Serial),
        Concurrency::SerialKeys(keys) => claims.extend(keys.iter().map(|k| Claim::Key(k))),
    }
    if def.redis_isolated {
        claims.push(Claim::Redis);
    }
    claims.extend(def.resources.iter().map(|r| Claim::Pool {
        name: r.pool,
        count: r.count,
    }));
    if def.heavy_resource {
        claims.push(Claim::Heavy);
    }
    if let Some(group) = def.group {
        claims.push(Claim::Group(group));
    }
    capped(claims, def.markers, caps)
}

/// `claims` with a [`Claim::Cap`] for each of `markers` the run caps, sorted, without
/// repeats.
pub(crate) fn capped(
    mut claims: Vec<Claim>,
    markers: &'static [&'static str],
    caps: &[(String, NonZeroUsize)],
) -> Vec<Claim> {
    if !caps.is_empty() {
        let capped = |m: &&&str| caps.iter().any(|(name, _)| name == **m);
        claims.extend(markers.iter().filter(capped).map(|m| Claim::Cap(m)));
    }
    if claims.len() > 1 {
        claims.sort_unstable();
        claims.dedup();
    }
    claims
}

impl fmt::Display for Claim {
    /// The manifest's form: `serial`, `key=K`, `redis`, `pool=P` or `pool=P:K`, `heavy`,
    /// `cap=M`, `group=G`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Serial => f.write_str("serial"),
            Claim::Key(key) => write!(f, "key={key}"),
            Claim::Redis => f.write_str("redis"),
            Claim::Pool {
                name,
                count: Some(n),
            } => write!(f, "pool={name}:{n}"),
            Claim::Pool { name, count: None } => write!(f, "pool={name}"),
            Claim::Heavy => f.write_str("heavy"),
            Claim::Cap(marker) => write!(f, "cap={marker}"),
            Claim::Group(group) => write!(f, "group={group}"),
        }
    }
}

impl Claim {
    /// Reads the [`Display`](fmt::Display) form back; names are leaked (they live for the
    /// run, like a registered test's).
    pub(crate) fn parse(text: &str) -> Result<Claim, String> {
        let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
        let named = |s: &str| -> Result<&'static str, String> {
            match s {
                "" => Err(format!("`{text}` names nothing")),
                s => Ok(leak(s)),
            }
        };
        Ok(match text.split_once('=') {
            None if text == "serial" => Claim::Serial,
            None if text == "redis" => Claim::Redis,
            None if text == "heavy" => Claim::Heavy,
            Some(("key", key)) => Claim::Key(named(key)?),
            Some(("cap", marker)) => Claim::Cap(named(marker)?),
            Some(("group", group)) => Claim::Group(named(group)?),
            Some(("pool", pool)) => match pool.split_once(':') {
                None => Claim::Pool {
                    name: named(pool)?,
                    count: None,
                },
                Some((name, count)) => Claim::Pool {
                    name: named(name)?,
                    count: Some(
                        count
                            .parse()
                            .map_err(|_| format!("`{count}` in `{text}` is not a pool size"))?,
                    ),
                },
            },
            _ => return Err(format!("`{text}` is not a claim")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constraints::ResourceUse;

    static KEYS: [&str; 2] = ["db", "cache"];
    static MARKERS: [&str; 2] = ["slow", "integration"];
    static RESOURCES: [ResourceUse; 2] = [
        ResourceUse {
            pool: "port",
            count: None,
        },
        ResourceUse {
            pool: "gpu",
            count: Some(2),
        },
    ];

    static DEF: TestDef = TestDef {
        concurrency: Concurrency::SerialKeys(&KEYS),
        heavy_resource: true,
        redis_isolated: true,
        group: Some("ledger"),
        markers: &MARKERS,
        resources: &RESOURCES,
        ..TestDef::DEFAULT
    };

    fn cap(name: &str) -> (String, NonZeroUsize) {
        (name.to_owned(), NonZeroUsize::MIN)
    }

    #[test]
    fn claims_come_sorted_in_lock_order() {
        let claims = of(&DEF, &[cap("integration"), cap("unused")]);
        let text: Vec<String> = claims.iter().map(Claim::to_string).collect();
        assert_eq!(
            text,
            [
                "key=cache",
                "key=db",
                "redis",
                "pool=gpu:2",
                "pool=port",
                "heavy",
                "cap=integration",
                "group=ledger"
            ]
        );
    }

    #[test]
    fn a_plain_test_claims_nothing_and_allocates_nothing() {
        let claims = of(&TestDef::DEFAULT, &[cap("slow")]);
        assert!(claims.is_empty());
        assert_eq!(claims.capacity(), 0);
    }

    #[test]
    fn claims_read_back_to_what_was_declared() {
        let claims: Vec<Claim> = of(&DEF, &[])
            .iter()
            .map(|c| Claim::parse(&c.to_string()).unwrap())
            .collect();
        assert_eq!(claims, of(&DEF, &[]));
    }

    #[test]
    fn a_damaged_claim_is_an_error() {
        assert_eq!(Claim::parse("lock"), Err("`lock` is not a claim".into()));
        assert_eq!(Claim::parse("key="), Err("`key=` names nothing".into()));
        assert_eq!(
            Claim::parse("pool=gpu:x"),
            Err("`x` in `pool=gpu:x` is not a pool size".into())
        );
    }
}
