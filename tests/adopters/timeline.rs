//! `--trace` and `--html`, checked against what happened: the stress fixture's tests
//! record their own worker and leased Redis database; the trace must agree with them,
//! hold every attempt once, never overlap two tests on one worker, name for each wait a
//! constraint the held test really carries, and carry the lower bound computed here
//! independently. The HTML report is opened in headless Chromium.

use crate::common::run_with_env;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// A test's own record: its worker and its Redis database (`-` without one).
fn own_records(dir: &Path) -> HashMap<String, (String, String)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let f: Vec<&str> = text.split_whitespace().collect();
            (f[0].to_owned(), (f[3].to_owned(), f[4].to_owned()))
        })
        .collect()
}

/// The constraints a stress test carries, from its module (the fixture's table).
fn carries(test: &str) -> Vec<String> {
    let module = test.split("::").next().unwrap();
    let list: &[&str] = match module {
        "serial" => &["serial"],
        "key_db" => &["key db"],
        "key_db_cache" => &["key db", "key cache"],
        "key_cache" => &["key cache"],
        "heavy" => &["heavy"],
        "redis" => &["pool redis"],
        "heavy_redis" => &["heavy", "pool redis"],
        "pg" => &["pool pg"],
        "pg_redis" => &["pool pg", "pool redis"],
        "capped" => &["cap integration"],
        "group_a" => &["group a"],
        "group_b" => &["group b", "heavy"],
        "group_c" => &["group c", "key db"],
        "group_serial" => &["group a", "serial"],
        _ => &[],
    };
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The constraint a wait names, in `carries`' words: `serial(db) held by …` is `key db`.
fn constraint_of(wait: &Value) -> String {
    let text = wait["args"]["constraint"].as_str().unwrap();
    let word = |prefix: &str, suffix: &str| {
        text.strip_prefix(prefix)
            .and_then(|t| t.split(suffix).next())
            .unwrap()
            .to_owned()
    };
    match wait["args"]["kind"].as_str().unwrap() {
        "serial" => "serial".to_owned(),
        "key" => format!("key {}", word("serial(", ")")),
        "pool" => format!("pool {}", word("pool ", " ")),
        "heavy" => "heavy".to_owned(),
        "cap" => format!("cap {}", word("max-concurrency of ", " ")),
        "group" => format!("group {}", word("group ", " ")),
        other => panic!("unknown wait kind {other}"),
    }
}

/// The lower bound from the trace's own slices and the fixture's table, computed here:
/// Σserial + max(Σrest / workers, longest, per key Σ, per group Σ, Σheavy / heavy limit,
/// Σredis / 16, Σpg / 3, Σcapped / cap).
fn independent_bound(slices: &[&Value], workers: f64, heavy: f64, cap: f64) -> f64 {
    let mut serial = 0.0;
    let mut sums: HashMap<String, f64> = HashMap::new();
    let mut longest: f64 = 0.0;
    for s in slices {
        let d = s["dur"].as_f64().unwrap();
        let carried = carries(s["name"].as_str().unwrap());
        if carried.iter().any(|c| c == "serial") {
            serial += d;
            continue;
        }
        longest = longest.max(d);
        *sums.entry("workers".into()).or_default() += d / workers;
        for c in carried {
            let divisor = match c.as_str() {
                "heavy" => heavy,
                "pool redis" => 16.0,
                "pool pg" => 3.0,
                "cap integration" => cap,
                _ => 1.0,
            };
            *sums.entry(c).or_default() += d / divisor;
        }
    }
    serial + sums.values().copied().fold(longest, f64::max)
}

fn stress_trace(extra: &[&str]) -> (Value, HashMap<String, (String, String)>) {
    let records = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let trace = out_dir.path().join("run.json");
    let history = tempfile::tempdir().unwrap();
    let mut args = vec!["--test-threads", "4", "--heavy-limit", "1"];
    args.extend(["--max-concurrency", "integration=2", "--trace"]);
    args.push(trace.to_str().unwrap());
    args.extend(extra);
    let env = [
        ("FIXTURE_RECORD_DIR", records.path().to_str().unwrap()),
        ("PARTEST_HISTORY_DIR", history.path().to_str().unwrap()),
    ];
    let out = run_with_env("stress", &args, &env);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(&trace).unwrap();
    (
        serde_json::from_str(&text).expect("the trace is JSON"),
        own_records(records.path()),
    )
}

fn check_trace(trace: &Value, own: &HashMap<String, (String, String)>, what: &str) {
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    for e in events {
        let ph = e["ph"].as_str().expect("every event has a phase");
        assert!(["M", "X", "i"].contains(&ph), "{what}: phase {ph}");
        assert!(e["pid"].is_u64() && e["tid"].is_u64(), "{what}: {e}");
        if ph == "X" {
            assert!(e["ts"].as_f64().unwrap() >= 0.0 && e["dur"].as_f64().unwrap() >= 0.0);
        }
    }
    let slices: Vec<&Value> = events.iter().filter(|e| e["cat"] == "test").collect();
    // Every attempt once, on the worker and with the database the test itself saw.
    assert_eq!(slices.len(), own.len(), "{what}: one slice per test");
    for s in &slices {
        let name = s["name"].as_str().unwrap();
        let (worker, redis) = &own[name];
        assert_eq!(
            s["args"]["worker"].as_str().unwrap(),
            worker,
            "{what}: {name}"
        );
        let leases = s["args"]["leases"].as_str().unwrap();
        let leased = leases.split(", ").find_map(|l| l.strip_prefix("redis "));
        assert_eq!(leased.unwrap_or("-"), redis, "{what}: {name}'s database");
    }
    // No two slices of one worker overlap (a wait neither: the worker was free).
    let mut by_worker: HashMap<u64, Vec<(f64, f64)>> = HashMap::new();
    for e in events
        .iter()
        .filter(|e| e["cat"] == "test" || e["cat"] == "wait")
    {
        let ts = e["ts"].as_f64().unwrap();
        by_worker
            .entry(e["tid"].as_u64().unwrap())
            .or_default()
            .push((ts, ts + e["dur"].as_f64().unwrap()));
    }
    for spans in by_worker.values_mut() {
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in spans.windows(2) {
            assert!(pair[0].1 <= pair[1].0 + 0.01, "{what}: overlap {pair:?}");
        }
    }
    // Each wait names a constraint the held test carries; a running serial test holds
    // the others back.
    let waits: Vec<&Value> = events.iter().filter(|e| e["cat"] == "wait").collect();
    assert!(!waits.is_empty(), "{what}: serial tests make workers wait");
    for w in &waits {
        let test = w["args"]["test"].as_str().unwrap();
        let constraint = constraint_of(w);
        let holder = w["args"]["holder"].as_str().unwrap();
        if w["args"]["constraint"] == "a serial test runs alone" {
            assert!(
                carries(holder).contains(&"serial".to_owned()),
                "{what}: {w}"
            );
        } else {
            assert!(
                carries(test).contains(&constraint),
                "{what}: {test} waited on {constraint}"
            );
        }
    }
    let bound = trace["otherData"]["lower_bound_us"].as_f64().unwrap();
    let ours = independent_bound(&slices, 4.0, 1.0, 2.0);
    assert!(
        (bound - ours).abs() < 1.0,
        "{what}: bound {bound} against {ours}"
    );
    let makespan = trace["otherData"]["makespan_us"].as_f64().unwrap();
    assert!(
        makespan >= bound,
        "{what}: makespan {makespan} under the bound {bound}"
    );
}

#[test]
fn the_trace_agrees_with_what_the_tests_saw_in_both_modes() {
    let (trace, own) = stress_trace(&[]);
    check_trace(&trace, &own, "threads");
    let (trace, own) = stress_trace(&["--isolate", "process"]);
    check_trace(&trace, &own, "process");
    let starts = trace["traceEvents"].as_array().unwrap().iter();
    let starts = starts
        .filter(|e| e["name"] == "worker process start")
        .count();
    assert!(
        starts >= 4,
        "each worker process's start is on its track ({starts})"
    );
}

/// Headless Chromium (Debian's `chromium`), with every host unresolvable so that
/// nothing the page asks for could come from the network.
fn chromium(args: &[&str]) -> std::process::Output {
    let program = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("headless Chromium is needed: apt-get install chromium (.ci/run installs it)");
    let profile = tempfile::tempdir().unwrap();
    Command::new(program)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args([
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=5000", "--window-size=1300,1600"])
        .args(args)
        .output()
        .expect("chromium runs")
}

/// Distinct colours of a PNG screenshot.
fn colours(png_file: &Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_file).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let step = info.color_type.samples();
    let mut seen: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    pixels[..info.buffer_size()].chunks(step).for_each(|p| {
        seen.insert(p);
    });
    seen.len()
}

#[test]
fn the_html_report_renders_offline_in_chromium_and_names_every_test() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let history = tempfile::tempdir().unwrap();
    let env = [("PARTEST_HISTORY_DIR", history.path().to_str().unwrap())];
    let args = ["--test-threads", "4", "--html", page.to_str().unwrap()];
    let out = run_with_env("integration", &args, &env);
    assert_eq!(
        out.code, 101,
        "the fixture has failing tests\n{}",
        out.stderr
    );
    let html = std::fs::read_to_string(&page).unwrap();
    for reference in ["src=", "href=", "@import", "url(http"] {
        assert!(
            !html.contains(reference),
            "the page refers to something outside it: {reference}"
        );
    }
    let url = format!("file://{}", page.display());
    let dom = chromium(&["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script ran to its end:\n{dom}"
    );
    assert!(
        !dom.contains("data-errors=\""),
        "errors in the page:\n{dom}"
    );
    let listed = run_with_env("integration", &["--list", "--format", "terse"], &env).stdout;
    let names: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .collect();
    assert_eq!(names.len(), 16, "8 passing, 6 failing and 2 ignored tests");
    for name in names {
        assert!(dom.contains(name), "{name} is not in the rendered page");
    }
    assert!(
        dom.contains("6 failed") && dom.contains("2 ignored"),
        "the summary counts"
    );
    let shot = dir.path().join("shot.png");
    let taken = chromium(&[&format!("--screenshot={}", shot.display()), &url]);
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&taken.stderr));
    let n = colours(&shot);
    assert!(n > 50, "the screenshot is blank or nearly ({n} colours)");
}

#[test]
fn cargo_partest_traces_every_binary_on_one_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let (trace, page) = (
        out_dir.path().join("ws.json"),
        out_dir.path().join("ws.html"),
    );
    let args = ["--test-threads", "4", "--trace", trace.to_str().unwrap()];
    let args = [&args[..], &["--html", page.to_str().unwrap()]].concat();
    let (out, _) = crate::workspace::cargo_partest_packages(&["multi"], &args, dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let own = crate::workspace::spans(dir.path());
    let trace: Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let slices: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] != "wait" && e["cat"] != "setup")
        .collect();
    // The three partest binaries' tests one slice each; the plain libtest binaries (the
    // package's unit tests and tests/plain.rs) one slice each, as they run whole.
    let extra: Vec<String> = slices
        .iter()
        .filter(|s| !own.iter().any(|o| s["name"] == o.name.as_str()))
        .map(|s| format!("{} {}", s["cat"], s["name"]))
        .collect();
    assert_eq!(slices.len(), own.len() + 2, "{extra:?}");
    for span in &own {
        let binary = format!("tests/{}.rs", span.binary);
        let found = slices
            .iter()
            .filter(|s| s["name"] == span.name.as_str() && s["cat"] == binary.as_str())
            .count();
        assert_eq!(found, 1, "{binary}: {}", span.name);
    }
    assert!(
        slices.iter().any(|s| s["cat"] == "tests/plain.rs"),
        "the plain binary runs whole"
    );
    let starts = events
        .iter()
        .filter(|e| e["name"] == "worker process start")
        .count();
    assert!(
        starts >= 4,
        "worker process starts are on the tracks ({starts})"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    for span in &own {
        assert!(
            html.contains(&format!("tests/{}.rs: {}", span.binary, span.name)),
            "{}",
            span.name
        );
    }
}

#[test]
fn a_run_cut_short_writes_its_trace_and_report_too() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, page) = (dir.path().join("cut.json"), dir.path().join("cut.html"));
    let history = tempfile::tempdir().unwrap();
    let env = [("PARTEST_HISTORY_DIR", history.path().to_str().unwrap())];
    let args = ["--test-threads", "2", "--run-timeout", "100ms", "--trace"];
    let args = [
        &args[..],
        &[trace.to_str().unwrap(), "--html", page.to_str().unwrap()],
    ]
    .concat();
    let out = run_with_env("stress", &args, &env);
    assert_eq!(out.code, 101, "{}", out.stderr);
    let trace: Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let cut = events
        .iter()
        .filter(|e| e["cat"] == "test" && e["args"]["outcome"] == "timed out");
    assert!(
        cut.count() >= 1,
        "the tests still running show as timed out"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(" not run"),
        "the tests that never started are counted"
    );
    let bad = run_with_env("stress", &["--trace", "/nonexistent-dir/t.json"], &env);
    assert_eq!(bad.code, 101);
    assert!(
        bad.stderr.contains("cannot write /nonexistent-dir/t.json"),
        "{}",
        bad.stderr
    );
    assert!(
        !bad.stdout.contains("test result"),
        "nothing ran: {}",
        bad.stdout
    );
}

#[test]
fn a_config_names_the_files_relative_to_itself_and_the_environment_overrides_it() {
    let config = tempfile::tempdir().unwrap();
    let text = "trace = \"target/partest/t.json\"\nhtml = \"target/partest/r.html\"\n";
    std::fs::write(config.path().join("partest.toml"), text).unwrap();
    let history = tempfile::tempdir().unwrap();
    let env = [
        ("CARGO_MANIFEST_DIR", config.path().to_str().unwrap()),
        ("PARTEST_HISTORY_DIR", history.path().to_str().unwrap()),
    ];
    // target/partest does not exist yet: a config's files get their directory.
    let out = run_with_env("stress", &["--test-threads", "2"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files = config.path().join("target/partest");
    let trace: Value =
        serde_json::from_str(&std::fs::read_to_string(files.join("t.json")).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let ran: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.ends_with(" ok"))
        .filter_map(|l| l.strip_prefix("test ")?.split(" ... ").next())
        .collect();
    assert!(ran.len() > 10, "{}", out.stdout);
    for name in ran {
        let slices = events
            .iter()
            .filter(|e| e["cat"] == "test" && e["name"] == name);
        assert_eq!(slices.count(), 1, "{name}");
    }
    let page = std::fs::read_to_string(files.join("r.html")).unwrap();
    assert!(page.contains("<svg"), "the report has its timeline");

    std::fs::remove_file(files.join("t.json")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let given = elsewhere.path().join("env.json");
    let env = [&env[..], &[("PARTEST_TRACE", given.to_str().unwrap())]].concat();
    let out = run_with_env("stress", &["--test-threads", "2"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(given.exists(), "the environment's file is written");
    assert!(!files.join("t.json").exists(), "instead of the config's");
}
