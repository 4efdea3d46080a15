//! The machine-readable test list of a partest binary (`--partest-manifest`): what
//! `cargo partest` needs to schedule a binary's tests together with other binaries' —
//! each selected test with its markers, constraints and time limit, and the binary's
//! own scheduling settings (its config file's pools, caps, heavy limit, Redis range).
//! The binary applies its own selection (filters, `-m`, `--lf`, partitions) first.
//!
//! One line per item, fields separated by tabs, `\\`, tab and newline escaped:
//! `partest-manifest 2`, then `setting KEY VALUE…` lines, `filtered_out N`, and
//! `test` lines (see [`write`]).

use crate::claims::Claim;
use crate::cli::SchedulingArgs;
use crate::constraints::RedisDbs;
use crate::filter::{Disposition, Planned};
use crate::plan::{Entry, Source, Test};
use crate::registry::Ignore;
use std::fmt::Write as _;
use std::num::NonZeroUsize;
use std::time::Duration;

const HEADER: &str = "partest-manifest 2";

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(",")
    }
}

/// The manifest of `tests` (the binary's selection; `filtered_out` left out) under
/// `settings` (the command line filled from the config) and its config's `quarantine`.
pub(crate) fn write(
    tests: &[Planned],
    filtered_out: usize,
    settings: &SchedulingArgs,
    markers: &MarkerFacts,
) -> String {
    let mut out = format!("{HEADER}\n");
    if !markers.quarantine.is_empty() {
        let _ = writeln!(out, "setting\tquarantine\t{}", markers.quarantine.join(","));
    }
    if !markers.known.is_empty() {
        let _ = writeln!(out, "setting\tmarkers\t{}", markers.known.join(","));
    }
    if markers.strict {
        let _ = writeln!(out, "setting\tstrict_markers\t1");
    }
    if let Some(n) = settings.heavy_limit {
        let _ = writeln!(out, "setting\theavy_limit\t{n}");
    }
    if let Some(dbs) = settings.redis_dbs {
        let _ = writeln!(out, "setting\tredis_dbs\t{}-{}", dbs.first, dbs.end() - 1);
    }
    for (marker, n) in &settings.caps {
        let _ = writeln!(out, "setting\tcap\t{marker}\t{n}");
    }
    for (pool, n) in &settings.pools {
        let _ = writeln!(out, "setting\tpool\t{pool}\t{n}");
    }
    let _ = writeln!(out, "filtered_out\t{filtered_out}");
    for planned in tests {
        let test = planned.test;
        let (file, line, column) = test.location();
        let disposition = match planned.disposition {
            Disposition::Run => "run".to_owned(),
            Disposition::Ignore(None) => "ignore".to_owned(),
            Disposition::Ignore(Some(reason)) => format!("ignore={}", escape(reason)),
        };
        let timeout = test
            .timeout()
            .or(settings.timeout)
            .map_or("-".to_owned(), |t| t.as_millis().to_string());
        // Caps are the run's setting, not the test's: the reader adds them.
        let claims: Vec<String> = test.claims(&[]).iter().map(Claim::to_string).collect();
        let claims: Vec<&str> = claims.iter().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "test\t{}\t{disposition}\t{timeout}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            escape(planned.test.name),
            u8::from(test.is_async()),
            test.retries(),
            list(&claims),
            list(test.markers()),
            escape(test.module_path()),
            escape(file),
            line,
            column,
        );
    }
    out
}

/// What a binary knows of markers, for `-m` judged run-wide and quarantine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MarkerFacts {
    /// Markers whose failures do not fail the run (the binary's config).
    pub(crate) quarantine: Vec<String>,
    /// Custom markers its config declares or its tests carry.
    pub(crate) known: Vec<String>,
    /// Whether `--strict-markers` (or the config's `strict_markers`) is on.
    pub(crate) strict: bool,
}

/// A binary's manifest, read back: its tests with descriptors of their own (leaked, like
/// every registered test's: they live for the run).
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    pub(crate) heavy_limit: Option<NonZeroUsize>,
    pub(crate) redis_dbs: Option<RedisDbs>,
    pub(crate) caps: Vec<(String, NonZeroUsize)>,
    pub(crate) pools: Vec<(String, NonZeroUsize)>,
    /// Quarantined and known markers, strictness.
    pub(crate) markers: MarkerFacts,
    pub(crate) filtered_out: usize,
    pub(crate) tests: Vec<Planned>,
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn leak_list(text: &str) -> &'static [&'static str] {
    if text == "-" {
        return &[];
    }
    let items: Vec<&'static str> = text.split(',').map(|s| leak(s.to_owned())).collect();
    Box::leak(items.into_boxed_slice())
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a valid {what}"))
}

fn positive(text: &str, what: &str) -> Result<NonZeroUsize, String> {
    number(text, what)
}

/// Reads the manifest in `text`; `group_prefix` keeps groups of different binaries apart.
pub(crate) fn parse(text: &str, group_prefix: &str) -> Result<Manifest, String> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(format!("it does not start with `{HEADER}`"));
    }
    let mut manifest = Manifest::default();
    for (n, line) in lines.enumerate() {
        let at = |e: String| format!("line {}: {e}", n + 2);
        let f: Vec<&str> = line.split('\t').collect();
        match (f[0], f.len()) {
            ("setting", 3) if f[1] == "heavy_limit" => {
                manifest.heavy_limit = Some(positive(f[2], "heavy limit").map_err(at)?)
            }
            ("setting", 3) if f[1] == "redis_dbs" => {
                manifest.redis_dbs = Some(RedisDbs::parse(f[2]).map_err(at)?)
            }
            ("setting", 4) if f[1] == "cap" => manifest
                .caps
                .push((f[2].to_owned(), positive(f[3], "cap").map_err(at)?)),
            ("setting", 4) if f[1] == "pool" => manifest
                .pools
                .push((f[2].to_owned(), positive(f[3], "pool size").map_err(at)?)),
            ("setting", 3) if f[1] == "quarantine" => {
                manifest.markers.quarantine = f[2].split(',').map(str::to_owned).collect()
            }
            ("setting", 3) if f[1] == "markers" => {
                manifest.markers.known = f[2].split(',').map(str::to_owned).collect()
            }
            ("setting", 3) if f[1] == "strict_markers" => manifest.markers.strict = f[2] == "1",
            ("filtered_out", 2) => manifest.filtered_out = number(f[1], "count").map_err(at)?,
            ("test", 12) => manifest.tests.push(test(&f, group_prefix).map_err(at)?),
            _ => return Err(at(format!("`{line}` is not a manifest line"))),
        }
    }
    Ok(manifest)
}

fn test(f: &[&str], group_prefix: &str) -> Result<Planned, String> {
    let name = leak(unescape(f[1]));
    let (ignore, disposition) = match f[2] {
        "run" => (Ignore::No, Disposition::Run),
        "ignore" => (Ignore::Yes, Disposition::Ignore(None)),
        other => match other.strip_prefix("ignore=") {
            Some(reason) => {
                let reason = leak(unescape(reason));
                (
                    Ignore::WithReason(reason),
                    Disposition::Ignore(Some(reason)),
                )
            }
            None => return Err(format!("`{other}` is not run or ignore")),
        },
    };
    let timeout = match f[3] {
        "-" => None,
        ms => Some(Duration::from_millis(number(ms, "timeout")?)),
    };
    let mut claims = Vec::new();
    for text in leak_list(f[6]) {
        claims.push(match Claim::parse(text)? {
            Claim::Group(g) => Claim::Group(leak(format!("{group_prefix}{g}"))),
            claim => claim,
        });
    }
    let entry: &'static Entry = Box::leak(Box::new(Entry {
        claims,
        markers: leak_list(f[7]),
        timeout,
        retries: number(f[5], "retry count")?,
        is_async: f[4] == "1",
        ignore,
        module_path: leak(unescape(f[8])),
        location: (
            leak(unescape(f[9])),
            number(f[10], "line")?,
            number(f[11], "column")?,
        ),
    }));
    Ok(Planned {
        test: Test {
            name,
            source: Source::Elsewhere(entry),
            binary: 0,
        },
        disposition,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constraints::{Concurrency, ResourceUse};
    use crate::registry::TestDef;

    static KEYS: [&str; 2] = ["db", "cache"];
    static MARKERS: [&str; 2] = ["slow", "integration"];
    static RESOURCES: [ResourceUse; 2] = [
        ResourceUse {
            pool: "gpu",
            count: Some(2),
        },
        ResourceUse {
            pool: "port",
            count: None,
        },
    ];
    static DEF: TestDef = TestDef {
        name: "migrates",
        module_path: "suite::db",
        file: "tests/db.rs",
        line: 12,
        column: 4,
        concurrency: Concurrency::SerialKeys(&KEYS),
        heavy_resource: true,
        redis_isolated: true,
        group: Some("ledger"),
        markers: &MARKERS,
        resources: &RESOURCES,
        timeout: Some(Duration::from_millis(1500)),
        retries: 2,
        ..TestDef::DEFAULT
    };

    #[test]
    fn a_manifest_reads_back_to_the_same_constraints() {
        let planned = [Planned {
            test: Test::here("db::migrates\tweird", &DEF),
            disposition: Disposition::Ignore(Some("needs\na GPU")),
        }];
        let settings = SchedulingArgs {
            heavy_limit: NonZeroUsize::new(2),
            caps: vec![("slow".into(), NonZeroUsize::new(3).unwrap())],
            ..SchedulingArgs::default()
        };
        let facts = MarkerFacts {
            quarantine: vec!["flaky".to_owned()],
            known: vec!["flaky".to_owned(), "slow".to_owned()],
            strict: true,
        };
        let text = write(&planned, 7, &settings, &facts);
        let back = parse(&text, "binary1/").unwrap();
        assert_eq!(back.filtered_out, 7);
        assert_eq!(back.heavy_limit, NonZeroUsize::new(2));
        assert_eq!(back.caps, settings.caps);
        assert_eq!(back.markers, facts);
        let t = back.tests[0];
        assert_eq!(t.test.name, "db::migrates\tweird");
        assert!(matches!(
            t.disposition,
            Disposition::Ignore(Some("needs\na GPU"))
        ));
        let d = t.test;
        assert!(d.def().is_none(), "another binary's test carries no body");
        let claims: Vec<String> = d.claims(&[]).iter().map(Claim::to_string).collect();
        assert_eq!(
            claims,
            [
                "key=cache",
                "key=db",
                "redis",
                "pool=gpu:2",
                "pool=port",
                "heavy",
                "group=binary1/ledger"
            ]
        );
        assert_eq!(
            d.claims(&settings.caps).len(),
            claims.len() + 1,
            "slow is capped"
        );
        assert_eq!(d.markers(), &MARKERS);
        assert_eq!(d.timeout(), Some(Duration::from_millis(1500)));
        assert_eq!(d.retries(), 2);
        assert!(!d.is_async());
        assert_eq!(d.location(), ("tests/db.rs", 12, 4));
        assert_eq!(d.module_path(), "suite::db");
        assert_eq!(d.marker_names(), Test::here("x", &DEF).marker_names());
    }

    #[test]
    fn a_damaged_manifest_is_an_error_naming_the_line() {
        assert!(parse("something else", "").is_err());
        let e = parse(&format!("{HEADER}\nfiltered_out\tmany"), "").unwrap_err();
        assert_eq!(e, "line 2: `many` is not a valid count");
        let e = parse(&format!("{HEADER}\ntest\tonly"), "").unwrap_err();
        assert!(
            e.starts_with("line 2: `test\tonly` is not a manifest line"),
            "{e}"
        );
    }
}
