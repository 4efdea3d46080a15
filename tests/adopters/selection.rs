//! Selection and reports as CI runs them: `-m`, config files, `--lf`/`--ff`, partitions
//! and Bazel sharding, JUnit, JSON extras, `--durations`/`--measure`/`-v`, the nextest
//! bridge, and the worker-count environment knobs.

use crate::common::{cargo, run, run_with_env};
use std::collections::{BTreeSet, HashSet};

fn listed(binary: &str, args: &[&str], env: &[(&str, &str)]) -> BTreeSet<String> {
    let mut all = vec!["--list", "--format", "terse"];
    all.extend_from_slice(args);
    let out = run_with_env(binary, &all, env);
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    out.stdout
        .lines()
        .map(|l| l.trim_end_matches(": test").to_owned())
        .collect()
}

fn module_of(names: &BTreeSet<String>) -> BTreeSet<String> {
    names
        .iter()
        .map(|n| n.split("::").next().unwrap().to_owned())
        .collect()
}

#[test]
fn marker_expressions_select_what_pytest_would() {
    let set = |expr: &str| module_of(&listed("stress", &["-m", expr], &[]));
    let s = |items: &[&str]| {
        items
            .iter()
            .map(|i| (*i).to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(set("integration"), s(&["capped"]));
    assert_eq!(
        set("heavy_resource and not redis_isolated"),
        s(&["group_b", "heavy"])
    );
    assert_eq!(
        set("serial and not group_a"),
        s(&["group_c", "key_db", "key_db_cache", "key_cache", "serial"])
    );
    assert_eq!(
        set("serial_cache or resource_pg"),
        s(&["key_cache", "key_db_cache", "pg", "pg_redis"])
    );
    assert_eq!(set("group_a"), s(&["group_a", "group_serial"]));
    let everything = listed("stress", &[], &[]);
    let not_serial = listed("stress", &["-m", "not serial"], &[]);
    let serial = listed("stress", &["-m", "serial"], &[]);
    assert_eq!(not_serial.len() + serial.len(), everything.len());
    assert!(not_serial.is_disjoint(&serial));
    let run_out = run("stress", &["-m", "integration", "--test-threads", "4"]);
    assert!(
        run_out
            .stdout
            .contains("12 passed; 0 failed; 0 ignored; 0 measured; 210 filtered out"),
        "{}",
        run_out.stdout
    );
}

#[test]
fn a_malformed_marker_expression_is_a_clear_error_and_runs_nothing() {
    let out = run("stress", &["-m", "integration and (slow or"]);
    assert_eq!(out.code, 101);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(
        out.stderr,
        "error: invalid -m expression `integration and (slow or`: expected a marker name, `not` or `(` at column 25, found the end of the expression\n"
    );
}

#[test]
fn a_marker_typo_is_an_error_when_strict_and_a_note_otherwise() {
    let strict = config_dir("markers = [\"integration\"]\nstrict_markers = true\n");
    let env = [("CARGO_MANIFEST_DIR", strict.path().to_str().unwrap())];
    for args in [
        &["-m", "integraton"][..],
        &["-m", "not integraton", "--list"],
    ] {
        let out = run_with_env("stress", args, &env);
        assert_eq!(out.code, 101, "{args:?}");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert!(
            out.stderr
                .starts_with("error: -m names marker `integraton`, which no config declares")
                && out.stderr.contains("known markers: integration,")
                && out.stderr.contains("did you mean `integration`?"),
            "{}",
            out.stderr
        );
    }
    // Built-in names are always known.
    let out = run_with_env("stress", &["-m", "serial_db or group_g1", "--list"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // Without strictness, libtest's exit 0, and a note says why nothing ran.
    let out = run("stress", &["-m", "integraton"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("running 0 tests"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("note: -m `integraton` selected no test; the tests carry integration")
            && out
                .stderr
                .contains("(did you mean `integration` for `integraton`?)"),
        "{}",
        out.stderr
    );
}

fn config_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("partest.toml"), text).unwrap();
    dir
}

#[test]
fn config_sets_defaults_and_bad_config_is_an_error() {
    let dir = config_dir(
        "markers = [\"integration\"]\nstrict_markers = true\n[max_concurrency]\nintegration = 1\n",
    );
    let env = [("CARGO_MANIFEST_DIR", dir.path().to_str().unwrap())];
    let out = run_with_env(
        "stress",
        &["-m", "integration", "--test-threads", "8", "--measure"],
        &env,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let strict = config_dir("markers = [\"slow\"]\nstrict_markers = true\n");
    let out = run_with_env(
        "stress",
        &[],
        &[("CARGO_MANIFEST_DIR", strict.path().to_str().unwrap())],
    );
    assert_eq!(out.code, 101);
    assert!(
        out.stderr.contains("carries marker `integration`, which")
            && out.stderr.contains("(declared: slow; --strict-markers)"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    for (text, expected) in [
        ("heavy_limt = 2\n", "`heavy_limt` in "),
        ("[pools]\npg = \"three\"\n", "`pools.pg` in "),
        ("dist = 3\n", "`dist` in "),
        ("markers = [", "is not valid TOML"),
    ] {
        let bad = config_dir(text);
        let out = run_with_env(
            "stress",
            &["--list"],
            &[("CARGO_MANIFEST_DIR", bad.path().to_str().unwrap())],
        );
        assert_eq!(out.code, 101, "{text}");
        assert!(
            out.stderr.starts_with("error: ") && out.stderr.contains(expected),
            "{text}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("partest.toml"),
            "names the file: {}",
            out.stderr
        );
    }
}

#[test]
fn last_failed_reruns_exactly_the_failures_and_failed_first_puts_them_first() {
    let history = tempfile::tempdir().unwrap();
    let env = [("PARTEST_HISTORY_DIR", history.path().to_str().unwrap())];
    let first = run_with_env("integration", &["--test-threads", "2"], &env);
    assert_eq!(first.code, 101);
    let failed: BTreeSet<String> = first
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter(|l| l.ends_with(" ... FAILED"))
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(failed.len(), 6);
    assert_eq!(listed("integration", &["--lf"], &env), failed);
    let rerun = run_with_env("integration", &["--lf", "--test-threads", "1", "-q"], &env);
    assert!(
        rerun
            .stdout
            .contains("0 passed; 6 failed; 0 ignored; 0 measured; 10 filtered out"),
        "{}",
        rerun.stdout
    );
    let ordered = run_with_env("integration", &["--ff", "--test-threads", "1"], &env);
    let order: Vec<&str> = ordered
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let first_failed: BTreeSet<String> = order[..6].iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(first_failed, failed, "{order:?}");
    // With nothing failed last time, --lf runs everything (and says so).
    let clean = tempfile::tempdir().unwrap();
    let env = [("PARTEST_HISTORY_DIR", clean.path().to_str().unwrap())];
    let out = run_with_env("integration", &["--lf", "math"], &env);
    assert!(
        out.stderr.contains("--lf: no previously failed tests"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("3 passed"), "{}", out.stdout);
}

#[test]
fn partitions_are_disjoint_and_complete() {
    let all = listed("stress", &[], &[]);
    for total in [1usize, 2, 3, 5, 7, 16] {
        for kind in ["count", "hash"] {
            let mut union = BTreeSet::new();
            let mut sum = 0;
            for shard in 1..=total {
                let spec = format!("{kind}:{shard}/{total}");
                let part = listed("stress", &["--partition", &spec], &[]);
                sum += part.len();
                union.extend(part);
            }
            assert_eq!(
                (union.len(), sum),
                (all.len(), all.len()),
                "{kind} over {total} shards"
            );
        }
    }
    let out = run("stress", &["--partition", "count:4/3"]);
    assert_eq!(out.code, 101);
    assert!(out.stderr.contains(
        "argument for --partition must be count:K/N, hash:K/N or duration:K/N with 1 <= K <= N (was count:4/3)"
    ));
}

#[test]
fn duration_partitions_are_disjoint_complete_and_balanced_by_the_history() {
    let history = tempfile::tempdir().unwrap();
    let env = [("PARTEST_HISTORY_DIR", history.path().to_str().unwrap())];
    // One run records the durations (the stress tests sleep 1-6 ms).
    let recorded = run_with_env("stress", &["--test-threads", "4"], &env);
    assert_eq!(recorded.code, 0, "{}", recorded.stdout);
    let durations: std::collections::HashMap<String, u64> =
        std::fs::read_to_string(history.path().join("durations.tsv"))
            .unwrap()
            .lines()
            .skip(1)
            .filter_map(|l| {
                let (micros, name) = l.split_once('\t')?;
                Some((name.to_owned(), micros.parse().ok()?))
            })
            .collect();
    assert!(durations.len() > 100, "{durations:?}");
    let longest = durations.values().copied().max().unwrap();
    let all = listed("stress", &[], &env);
    for total in [2usize, 3, 7] {
        let mut union = BTreeSet::new();
        let mut loads = Vec::new();
        for shard in 1..=total {
            let spec = format!("duration:{shard}/{total}");
            let part = listed("stress", &["--partition", &spec], &env);
            loads.push(
                part.iter()
                    .map(|n| durations.get(n).copied().unwrap_or(0))
                    .sum::<u64>(),
            );
            let before = union.len();
            union.extend(part.iter().cloned());
            assert_eq!(union.len(), before + part.len(), "{spec}: shards overlap");
        }
        assert_eq!(union, all, "duration over {total} shards: not complete");
        let (max, min) = (loads.iter().max().unwrap(), loads.iter().min().unwrap());
        assert!(
            max - min <= longest,
            "{total} shards: recorded loads {loads:?}"
        );
    }
}

#[test]
fn bazel_sharding_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let status = dir.path().join("status");
    let xml = dir.path().join("out").join("test.xml");
    let mut union = BTreeSet::new();
    for index in 0..3 {
        let i = index.to_string();
        let env = [
            ("TEST_TOTAL_SHARDS", "3"),
            ("TEST_SHARD_INDEX", i.as_str()),
            ("TEST_SHARD_STATUS_FILE", status.to_str().unwrap()),
            ("XML_OUTPUT_FILE", xml.to_str().unwrap()),
        ];
        let out = run_with_env("stress", &["--test-threads", "8", "plain::"], &env);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(status.exists(), "the status file is touched");
        let doc_text = std::fs::read_to_string(&xml).unwrap();
        let doc = roxmltree::Document::parse(&doc_text).unwrap();
        for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
            union.insert(format!(
                "{}::{}",
                case.attribute("classname").unwrap(),
                case.attribute("name").unwrap()
            ));
        }
    }
    assert_eq!(
        union.len(),
        80,
        "the three shards together ran plain:: once each"
    );
}

#[test]
fn junit_file_is_written_for_failing_and_stopped_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let out = run(
        "integration",
        &["--junit", path.to_str().unwrap(), "--test-threads", "4"],
    );
    assert_eq!(out.code, 101);
    assert!(
        out.stdout.contains("test result: FAILED."),
        "the console report is unchanged"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        (
            suite.attribute("tests"),
            suite.attribute("failures"),
            suite.attribute("skipped")
        ),
        (Some("16"), Some("6"), Some("2"))
    );
    let names: HashSet<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert!(names.contains("nested") && names.contains("fails"));
    let out = run(
        "capture",
        &[
            "--junit",
            path.to_str().unwrap(),
            "-x",
            "--test-threads",
            "1",
            "bulk",
        ],
    );
    assert_eq!(out.code, 101);
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let skipped = doc
        .descendants()
        .filter(|n| n.has_tag_name("skipped"))
        .count();
    assert_eq!(
        skipped, 31,
        "tests not run after -x are in the report as skipped"
    );
}

#[test]
fn json_carries_worker_and_markers_and_verbose_shows_workers() {
    let out = run(
        "stress",
        &[
            "--format",
            "json",
            "--test-threads",
            "4",
            "-m",
            "heavy_resource and redis_isolated",
        ],
    );
    let results: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "test" && v["event"] == "ok")
        .collect();
    assert_eq!(results.len(), 6);
    for r in &results {
        assert!(r["worker"].as_str().unwrap().starts_with("gw"), "{r}");
        let markers: Vec<&str> = r["markers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert_eq!(markers, ["heavy_resource", "redis_isolated"]);
    }
    let out = run("stress", &["-v", "--test-threads", "4", "plain::t0"]);
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("test plain::"))
        .collect();
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l.contains(" ... ok [gw")), "{lines:?}");
}

#[test]
fn durations_and_measure_follow_the_summary_inputs() {
    let out = run(
        "timing",
        &["--durations", "3", "--measure", "--test-threads", "3"],
    );
    assert_eq!(out.code, 0);
    let text = &out.stdout;
    let slowest = text.find("slowest 3 tests:\n").expect("durations listed");
    assert_eq!(
        text[slowest..]
            .lines()
            .skip(1)
            .take(3)
            .filter(|l| l.contains("ms  sleep_"))
            .count(),
        3,
        "{text}"
    );
    let measure = text
        .lines()
        .find(|l| l.starts_with("measure: wall "))
        .expect("measure line");
    assert!(
        measure.contains("busy: gw0 ") && measure.contains("gw2 "),
        "{measure}"
    );
    assert!(
        text.find("measure:").unwrap() < text.find("test result:").unwrap(),
        "notes precede the summary"
    );
}

#[test]
fn worker_count_knobs_and_their_precedence() {
    let record = |args: &[&str], env: &[(&str, &str)]| -> BTreeSet<String> {
        let dir = tempfile::tempdir().unwrap();
        let mut all = vec![("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())];
        all.extend_from_slice(env);
        let out = run_with_env("timing", args, &all);
        assert_eq!(out.code, 0);
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| {
                std::fs::read_to_string(e.unwrap().path())
                    .unwrap()
                    .split_whitespace()
                    .nth(4)
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let s = |v: &str| BTreeSet::from([v.to_owned()]);
    assert_eq!(record(&[], &[("PARTEST_WORKERS", "3")]), s("3"));
    assert_eq!(
        record(
            &[],
            &[("PARTEST_DISABLE_PARALLEL", "1"), ("PARTEST_WORKERS", "3")]
        ),
        s("1")
    );
    assert_eq!(
        record(&[], &[("PARTEST_WORKERS", "3"), ("RUST_TEST_THREADS", "2")]),
        s("3")
    );
    assert_eq!(
        record(&["--test-threads", "2"], &[("PARTEST_WORKERS", "5")]),
        s("2")
    );
    let out = run_with_env("timing", &[], &[("PARTEST_WORKERS", "many")]);
    assert_eq!((out.code, out.stderr.as_str()), (101, "error: PARTEST_WORKERS (a number or auto) must be a number > 0 (error: invalid digit found in string)\n"));
}

#[derive(Debug)]
struct Span {
    name: String,
    start: u128,
    end: u128,
    redis: Option<u32>,
}

#[test]
fn the_generated_nextest_config_makes_markers_hold_under_cargo_nextest() {
    if cargo()
        .args(["nextest", "--version"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("cargo-nextest is not installed; skipping"); // .ci/run installs it
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = run_with_env(
        "stress",
        &["--nextest-config"],
        &[("CARGO_PKG_NAME", "adopter-suite")],
    );
    assert_eq!(config.code, 0);
    assert!(config
        .stdout
        .contains("threads-required = \"num-test-threads\""));
    let config_path = dir.path().join("nextest.toml");
    std::fs::write(&config_path, &config.stdout).unwrap();
    let records = dir.path().join("records");
    std::fs::create_dir(&records).unwrap();
    let out = cargo()
        .args(["nextest", "run", "--config-file"])
        .arg(&config_path)
        .args([
            "-p",
            "adopter-suite",
            "--test",
            "stress",
            "--test-threads",
            "8",
        ])
        .args(["-E", "test(/^(serial|plain|redis|key_db)::/)"])
        .env("FIXTURE_RECORD_DIR", &records)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("142 tests run: 142 passed"),
        "{stderr}"
    );
    let spans: Vec<Span> = std::fs::read_dir(&records)
        .unwrap()
        .map(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let f: Vec<&str> = text.split_whitespace().collect();
            Span {
                name: f[0].into(),
                start: f[1].parse().unwrap(),
                end: f[2].parse().unwrap(),
                redis: f[4].parse().ok(),
            }
        })
        .collect();
    assert_eq!(spans.len(), 142);
    let overlap = |a: &Span, b: &Span| a.name != b.name && a.start < b.end && b.start < a.end;
    let mut overlapped = 0;
    for a in &spans {
        for b in spans.iter().filter(|b| overlap(a, b)) {
            overlapped += 1;
            assert!(
                !a.name.starts_with("serial::"),
                "{} overlaps {} under nextest",
                a.name,
                b.name
            );
            let keyed = |s: &Span| s.name.starts_with("key_db::");
            assert!(
                !(keyed(a) && keyed(b)),
                "{} and {} share key db under nextest",
                a.name,
                b.name
            );
            if let (Some(x), Some(y)) = (a.redis, b.redis) {
                assert_ne!(
                    x, y,
                    "{} and {} share redis db {x} under nextest",
                    a.name, b.name
                );
            }
        }
    }
    assert!(
        overlapped > 0,
        "nothing ran in parallel: the check proves nothing"
    );
}
