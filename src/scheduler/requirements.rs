//! What each test needs from the scheduler ([`Requirements`]), with names interned into
//! small ids, and the run's capacities ([`Capacities`]). Impossible or contradictory
//! constraints are a [`ConstraintError`] before any test runs.

use crate::claims::Claim;
use crate::cli::SchedulingArgs;
use crate::dist::Dist;
use crate::plan::Test;
use std::collections::HashMap;
use std::fmt;

/// Name of the pool `redis_isolated` leases from.
pub(crate) const REDIS_POOL: &str = "redis";

/// One test's needs. Empty for a plain test (no allocation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Requirements {
    /// Runs alone.
    pub(crate) serial: bool,
    /// Serial keys held while running.
    pub(crate) keys: Box<[u32]>,
    /// Counts against the heavy limit.
    pub(crate) heavy: bool,
    /// Pools it leases one slot of.
    pub(crate) pools: Box<[u32]>,
    /// Capped markers it carries.
    pub(crate) caps: Box<[u32]>,
    /// Its group (explicit, or its module/file under loadscope/loadfile).
    pub(crate) group: Option<u32>,
}

/// Every test's requirements, by test position. Plain tests (the common case) cost one
/// index and no allocation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Needs {
    /// Position in `list`, or `PLAIN`.
    of: Vec<u32>,
    list: Vec<Requirements>,
}

const PLAIN: u32 = u32::MAX;

impl Needs {
    /// Appends the next test's requirements.
    pub(crate) fn push(&mut self, req: Requirements) {
        if req.is_plain() {
            self.of.push(PLAIN);
        } else {
            self.of.push(self.list.len() as u32);
            self.list.push(req);
        }
    }

    /// What test `i` needs; `None` for a plain test.
    pub(crate) fn get(&self, i: usize) -> Option<&Requirements> {
        match self.of[i] {
            PLAIN => None,
            at => Some(&self.list[at as usize]),
        }
    }

    /// Number of tests.
    pub(crate) fn len(&self) -> usize {
        self.of.len()
    }

    /// Whether no test needs anything.
    pub(crate) fn all_plain(&self) -> bool {
        self.list.is_empty()
    }
}

impl From<Vec<Requirements>> for Needs {
    fn from(reqs: Vec<Requirements>) -> Self {
        let mut needs = Needs::default();
        reqs.into_iter().for_each(|r| needs.push(r));
        needs
    }
}

/// A named pool of slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pool {
    /// The pool's name (`redis` for redis_isolated).
    pub(crate) name: &'static str,
    /// Number of slots.
    pub(crate) size: usize,
}

/// Capacities of the run, indexed by the ids in [`Requirements`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Capacities {
    /// Serial keys (names only; each is a mutex).
    pub(crate) keys: Vec<&'static str>,
    /// heavy_resource tests at once.
    pub(crate) heavy_limit: usize,
    /// Pools.
    pub(crate) pools: Vec<Pool>,
    /// Capped markers: (name, limit).
    pub(crate) caps: Vec<(String, usize)>,
    /// Groups (names for messages).
    pub(crate) groups: Vec<String>,
}

/// Constraints that cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConstraintError {
    /// One pool declared with two sizes.
    PoolSizeConflict {
        /// The pool.
        pool: String,
        /// The size declared first, and where (`file:line`).
        first: (usize, String),
        /// The other size, and where.
        second: (usize, String),
    },
}

impl fmt::Display for ConstraintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstraintError::PoolSizeConflict {
                pool,
                first,
                second,
            } => write!(
                f,
                "pool `{pool}` is declared with count = {} at {} but count = {} at {}; \
                 give every `resource({pool}, count = K)` the same K",
                first.0, first.1, second.0, second.1
            ),
        }
    }
}

impl std::error::Error for ConstraintError {}

fn intern<K: Eq + std::hash::Hash>(map: &mut HashMap<K, u32>, key: K) -> u32 {
    let next = map.len() as u32;
    *map.entry(key).or_insert(next)
}

impl Requirements {
    /// Whether the test needs nothing from the scheduler.
    pub(crate) fn is_plain(&self) -> bool {
        !self.serial
            && !self.heavy
            && self.group.is_none()
            && self.keys.is_empty()
            && self.pools.is_empty()
            && self.caps.is_empty()
    }
}

/// For each of `n` ids, the smallest id it is linked to (directly or not).
fn union_roots(n: usize, links: &[(u32, u32)]) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    for &(a, b) in links {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra.max(rb) as usize] = ra.min(rb);
    }
    (0..n as u32).map(|x| find(&mut parent, x)).collect()
}

/// The default heavy limit: a quarter of the workers, at least one.
/// The size of pool `name`: the command line or config, else the size a test declared
/// (`count = K`), else the Redis databases for `redis_isolated`, else 1.
pub(crate) fn pool_size(args: &SchedulingArgs, name: &str, declared: Option<usize>) -> usize {
    let configured = args
        .pools
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, k)| k.get());
    let redis = (name == REDIS_POOL).then(|| args.redis_dbs().count.get());
    configured.or(declared).or(redis).unwrap_or(1)
}

pub(crate) fn default_heavy_limit(workers: usize) -> usize {
    (workers / 4).max(1)
}

/// Builds every test's requirements and the run's limits.
pub(crate) fn build(
    tests: &[Test],
    args: &SchedulingArgs,
    workers: usize,
) -> Result<(Capacities, Needs), ConstraintError> {
    let mut builder = Builder::new(args);
    let mut needs = Needs {
        of: Vec::with_capacity(tests.len()),
        list: Vec::new(),
    };
    let scoped = matches!(args.dist(), Dist::LoadScope | Dist::LoadFile);
    for test in tests {
        let claims = test.claims(&args.caps);
        if !scoped && claims.is_empty() {
            needs.of.push(PLAIN);
            continue;
        }
        needs.push(builder.requirements(test, &claims)?);
    }
    let limits = builder.finish(&mut needs, workers);
    Ok((limits, needs))
}

/// Interns the keys, pools and groups of the tests seen so far.
struct Builder<'a> {
    args: &'a SchedulingArgs,
    keys: HashMap<&'static str, u32>,
    groups: HashMap<String, u32>,
    pools: HashMap<&'static str, u32>,
    /// By pool id: the size a test declared, and where (`file:line`).
    pool_sizes: Vec<(Option<usize>, String)>,
    caps: HashMap<&'a str, u32>,
    /// Groups that must share a worker (a test's group and its loadscope/loadfile scope).
    links: Vec<(u32, u32)>,
}

impl<'a> Builder<'a> {
    fn new(args: &'a SchedulingArgs) -> Self {
        Builder {
            args,
            keys: HashMap::new(),
            groups: HashMap::new(),
            pools: HashMap::new(),
            pool_sizes: Vec::new(),
            caps: args
                .caps
                .iter()
                .enumerate()
                .map(|(i, (m, _))| (m.as_str(), i as u32))
                .collect(),
            links: Vec::new(),
        }
    }

    /// What `test` needs, from its claims.
    fn requirements(
        &mut self,
        test: &Test,
        claims: &[Claim],
    ) -> Result<Requirements, ConstraintError> {
        let mut req = Requirements::default();
        let (mut keys, mut pools, mut caps) = (Vec::new(), Vec::new(), Vec::new());
        let mut explicit_group = None;
        for claim in claims {
            match *claim {
                Claim::Serial => req.serial = true,
                Claim::Key(key) => keys.push(intern(&mut self.keys, key)),
                Claim::Redis => pools.push(self.pool_id(REDIS_POOL, None, test)?),
                Claim::Pool { name, count } => pools.push(self.pool_id(name, count, test)?),
                Claim::Heavy => req.heavy = true,
                Claim::Cap(marker) => caps.extend(self.caps.get(marker).copied()),
                Claim::Group(group) => explicit_group = Some(group),
            }
        }
        (req.keys, req.pools, req.caps) = (keys.into(), pools.into(), caps.into());
        req.group = self.group_id(test, explicit_group);
        Ok(req)
    }

    /// The id of pool `name`, checking that every size declared for it agrees.
    fn pool_id(
        &mut self,
        name: &'static str,
        count: Option<u32>,
        test: &Test,
    ) -> Result<u32, ConstraintError> {
        let id = intern(&mut self.pools, name) as usize;
        if id == self.pool_sizes.len() {
            self.pool_sizes.push((None, String::new()));
        }
        if let Some(count) = count.map(|c| c as usize) {
            let (file, line, _) = test.location();
            let here = format!("{file}:{line}");
            match &self.pool_sizes[id] {
                (Some(other), there) if *other != count => {
                    return Err(ConstraintError::PoolSizeConflict {
                        pool: name.to_string(),
                        first: (*other, there.clone()),
                        second: (count, here),
                    })
                }
                _ => self.pool_sizes[id] = (Some(count), here),
            }
        }
        Ok(id as u32)
    }

    /// The group `test` runs in: its explicit group, or its scope under loadscope /
    /// loadfile. Both must share one worker, so they are linked (a group spanning
    /// scopes merges those scopes).
    fn group_id(&mut self, test: &Test, explicit: Option<&str>) -> Option<u32> {
        let scope = match self.args.dist() {
            Dist::LoadScope => Some(format!(
                "module {}",
                test.name.rsplit_once("::").map_or("", |(m, _)| m)
            )),
            Dist::LoadFile => Some(format!("file {}", test.location().0)),
            Dist::Load | Dist::No => None,
        };
        let explicit = explicit.map(|g| format!("group {g}"));
        let ids: Vec<u32> = [explicit, scope]
            .into_iter()
            .flatten()
            .map(|g| intern(&mut self.groups, g))
            .collect();
        if let [a, b] = ids[..] {
            self.links.push((a, b));
        }
        ids.first().copied()
    }

    /// The limits of the run; merges linked groups in `needs`.
    fn finish(self, needs: &mut Needs, workers: usize) -> Capacities {
        let args = self.args;
        let mut by_id: Vec<(&'static str, u32)> = self.pools.into_iter().collect();
        by_id.sort_by_key(|(_, id)| *id);
        let pools = by_id
            .into_iter()
            .map(|(name, id)| {
                let size = pool_size(args, name, self.pool_sizes[id as usize].0);
                Pool { name, size }
            })
            .collect();
        let mut key_list: Vec<(&'static str, u32)> = self.keys.into_iter().collect();
        key_list.sort_by_key(|(_, id)| *id);
        let mut group_list: Vec<(String, u32)> = self.groups.into_iter().collect();
        group_list.sort_by_key(|(_, id)| *id);
        let roots = union_roots(group_list.len(), &self.links);
        for req in &mut needs.list {
            req.group = req.group.map(|g| roots[g as usize]);
        }
        Capacities {
            keys: key_list.into_iter().map(|(k, _)| k).collect(),
            heavy_limit: args
                .heavy_limit
                .map_or_else(|| default_heavy_limit(workers), |n| n.get()),
            pools,
            caps: args
                .caps
                .iter()
                .map(|(m, n)| (m.clone(), n.get()))
                .collect(),
            groups: group_list.into_iter().map(|(g, _)| g).collect(),
        }
    }
}
