//! `--nextest-config`: the `.config/nextest.toml` fragment that makes the markers hold when
//! the same tests run under `cargo nextest run` (a process per test, so partest's scheduler
//! is not there to enforce them):
//! - `serial` → `threads-required = "num-test-threads"` (the test runs alone);
//! - each pool (`redis_isolated` is pool `redis`), `serial(key)`, `group`, the heavy limit
//!   and each capped marker → a test group with that many `max-threads`; inside a pool's
//!   group, partest leases the slot nextest gives (`NEXTEST_TEST_GROUP_SLOT`).
//!
//! nextest puts a test in one group at most: a test with several constraints gets the
//! first of pool, key, group, heavy, cap, and the fragment lists what it could not express.

use crate::cli::SchedulingArgs;
use crate::constraints::Concurrency;
use crate::registry::Test;
use crate::scheduler::REDIS_POOL;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Prefix of the groups partest generates; a pool's group is `partest-pool-NAME`.
pub(crate) const POOL_GROUP_PREFIX: &str = "partest-pool-";

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The filterset of this binary (`package(=P) & binary(=B)`).
fn binary_filter() -> String {
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_deref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    // cargo names test binaries `<target>-<16 hex digits>`.
    let binary = match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            name.to_owned()
        }
        _ => stem,
    };
    match std::env::var("CARGO_PKG_NAME") {
        Ok(package) => format!("package(={package}) & binary(={binary})"),
        Err(_) => format!("binary(={binary})"),
    }
}

fn override_block(out: &mut String, binary: &str, names: &[&str], setting: &str) {
    let tests: Vec<String> = names.iter().map(|n| format!("test(={n})")).collect();
    let _ = write!(
        out,
        "\n[[profile.default.overrides]]\nfilter = '{binary} & ({})'\n{setting}\n",
        tests.join(" | ")
    );
}

/// The fragment for `tests`, with limits from `args` (defaults for `threads` workers).
pub(crate) fn config(tests: &[Test], args: &SchedulingArgs, threads: usize) -> String {
    let binary = binary_filter();
    let mut groups: BTreeMap<String, (usize, Vec<&str>)> = BTreeMap::new();
    let mut serial = Vec::new();
    let mut unexpressed = Vec::new();
    let heavy_limit = args.heavy_limit.map_or_else(
        || crate::scheduler::default_heavy_limit(threads),
        |n| n.get(),
    );
    for test in tests {
        let def = test.def;
        let mut wanted: Vec<(String, usize)> = Vec::new();
        let pool_size = |name: &str, count: Option<u32>| {
            let configured = args
                .pools
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, k)| k.get());
            let redis = (name == REDIS_POOL).then(|| args.redis_dbs().count.get());
            configured
                .or(count.map(|c| c as usize))
                .or(redis)
                .unwrap_or(1)
        };
        for r in def.resources {
            wanted.push((
                format!("{POOL_GROUP_PREFIX}{}", sanitize(r.pool)),
                pool_size(r.pool, r.count),
            ));
        }
        if def.redis_isolated {
            wanted.push((
                format!("{POOL_GROUP_PREFIX}{REDIS_POOL}"),
                pool_size(REDIS_POOL, None),
            ));
        }
        match def.concurrency {
            Concurrency::Serial => serial.push(test.name),
            Concurrency::SerialKeys(keys) => wanted.extend(
                keys.iter()
                    .map(|k| (format!("partest-key-{}", sanitize(k)), 1)),
            ),
            Concurrency::Parallel => {}
        }
        if let Some(g) = def.group {
            wanted.push((format!("partest-group-{}", sanitize(g)), 1));
        }
        if def.heavy_resource {
            wanted.push(("partest-heavy".to_owned(), heavy_limit));
        }
        for (marker, cap) in &args.caps {
            if def.markers.contains(&marker.as_str()) {
                wanted.push((format!("partest-marker-{}", sanitize(marker)), cap.get()));
            }
        }
        if let Some((group, threads)) = wanted.first() {
            groups
                .entry(group.clone())
                .or_insert((*threads, Vec::new()))
                .1
                .push(test.name);
        }
        if wanted.len() > 1 {
            let rest: Vec<&str> = wanted[1..].iter().map(|(g, _)| g.as_str()).collect();
            unexpressed.push(format!(
                "#   {} (also needs {})",
                test.name,
                rest.join(", ")
            ));
        }
    }
    let mut out = String::from(
        "# Generated by `--nextest-config`: makes partest's markers hold under `cargo nextest run`.\n\
         # Put it in .config/nextest.toml (or pass it with --config-file).\n",
    );
    if !unexpressed.is_empty() {
        out.push_str("# nextest gives a test one group at most; not expressed here:\n");
        out.push_str(&unexpressed.join("\n"));
        out.push('\n');
    }
    if !groups.is_empty() {
        out.push_str("\n[test-groups]\n");
        for (name, (threads, _)) in &groups {
            let _ = writeln!(out, "{name} = {{ max-threads = {threads} }}");
        }
    }
    if !serial.is_empty() {
        override_block(
            &mut out,
            &binary,
            &serial,
            "threads-required = \"num-test-threads\"",
        );
    }
    for (name, (_, members)) in &groups {
        override_block(
            &mut out,
            &binary,
            members,
            &format!("test-group = \"{name}\""),
        );
    }
    out
}

/// Under nextest, in a pool's test group: (pool name, the slot nextest gave this test).
pub(crate) fn group_slot() -> Option<(String, u32)> {
    let group = std::env::var("NEXTEST_TEST_GROUP").ok()?;
    let pool = group.strip_prefix(POOL_GROUP_PREFIX)?.to_owned();
    let slot = std::env::var("NEXTEST_TEST_GROUP_SLOT")
        .ok()?
        .parse()
        .ok()?;
    Some((pool, slot))
}
