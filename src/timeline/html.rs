//! `--html FILE`: one self-contained page (no network, no external script or font): the
//! summary; why the run took as long as it did (makespan against the lower bound, the
//! chain of tests that sets the bound, the time workers lost per constraint, what to
//! change); the timeline (svg.rs); the failures with their output; the slowest tests;
//! every test of the run with its outcome, filterable. A small inline script filters the
//! list and records script errors on `<body data-errors>` for checks.

use super::{show, svg, Facts, Recording, Slice};
use crate::filter::{Disposition, Planned};
use crate::report::escape::Xml;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

/// Runs of at most this many tests show the list of every test unfolded.
const LIST_OPEN_AT_MOST: usize = 2_000;

/// Failures shown with their output; later ones are listed by name only.
const FAILURES_SHOWN: usize = 500;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:24px;color:#212121}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse}\
td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}td.n{text-align:right}\
.passed{color:#2e7d32}.failed,.FAILED{color:#c62828}.ignored,.not-run,.quarantined{color:#757575}.flaky{color:#ef6c00}\
pre{background:#fafafa;border:1px solid #ddd;padding:8px;overflow:auto;max-height:400px}\
#all li{font-family:monospace;font-size:12px}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}\
.svgbox{overflow-x:auto;border:1px solid #ddd}";

const SCRIPT: &str = "window.__errors=[];window.addEventListener('error',function(e){window.__errors.push(String(e.message));\
document.body.setAttribute('data-errors',window.__errors.join('; '));});\
document.getElementById('filter').addEventListener('input',function(e){var q=e.target.value.toLowerCase();\
var items=document.querySelectorAll('#all li');for(var i=0;i<items.length;i++){\
items[i].style.display=items[i].textContent.toLowerCase().indexOf(q)<0?'none':'';}});\
document.body.setAttribute('data-ready','1');";

/// How one test of the plan ended.
struct Row<'a> {
    name: &'static str,
    binary: &'a str,
    status: &'static str,
    time: Duration,
    attempts: Vec<&'a Slice>,
}

fn rows<'a>(plan: &[Planned], rec: &'a Recording, facts: &'a Facts) -> Vec<Row<'a>> {
    let mut by_test: HashMap<(u32, &str), Vec<&Slice>> = HashMap::new();
    for s in &rec.slices {
        by_test
            .entry((s.test.binary, s.test.name))
            .or_default()
            .push(s);
    }
    plan.iter()
        .map(|p| {
            // Recorded as they ended: one test's attempts are already in order.
            let attempts = by_test
                .remove(&(p.test.binary, p.test.name))
                .unwrap_or_default();
            let status = match (p.disposition, attempts.last()) {
                (Disposition::Ignore(_), _) => "ignored",
                (Disposition::Run, None) => "not-run",
                (_, Some(last)) if last.outcome == "passed" && attempts.len() > 1 => "flaky",
                (_, Some(last)) if last.outcome == "passed" => "passed",
                _ if facts.quarantined.contains(p.test.name) => "quarantined",
                (_, Some(_)) => "failed",
            };
            Row {
                name: p.test.name,
                binary: facts.binary_of(p.test.binary),
                status,
                time: attempts.iter().map(|s| s.end - s.start).sum(),
                attempts,
            }
        })
        .collect()
}

fn full_name(row: &Row<'_>) -> String {
    match row.binary {
        "" => row.name.to_owned(),
        binary => format!("{binary}: {}", row.name),
    }
}

/// The report page.
pub(crate) fn write(plan: &[Planned], rec: &Recording, facts: &Facts) -> String {
    let rows = rows(plan, rec, facts);
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    let failed = count("failed");
    let verdict = if failed > 0 { "FAILED" } else { "ok" };
    let mut out = String::with_capacity(2048 + rows.len() * 80);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>partest report: {verdict}</title>\
         <style>{STYLE}</style></head><body>\n<h1>partest run: <span class=\"{verdict}\">{verdict}</span></h1>\n<p id=\"summary\">\
         {} passed; {failed} failed; {} flaky; {} quarantined; {} ignored; {} not run — {} workers ({}), wall time {}</p>\n",
        count("passed"),
        count("flaky"),
        count("quarantined"),
        count("ignored"),
        count("not-run"),
        facts.workers,
        facts.isolation,
        show(facts.makespan),
    );
    why(&mut out, rec, facts);
    out.push_str("<h2>Timeline</h2>\n<p class=\"legend\"><span style=\"background:#43a047\"></span>passed\
        <span style=\"background:#e53935\"></span>failed<span style=\"background:#fb8c00\"></span>timed out\
        <span style=\"background:#9e9e9e\"></span>waiting on a constraint<span style=\"background:#fdd835\"></span>set-up, teardown, start-up</p>\n<div class=\"svgbox\">");
    out.push_str(&svg::timeline(rec, facts));
    out.push_str("</div>\n");
    failures(&mut out, &rows, facts);
    slowest(&mut out, &rows);
    // A long list stays folded: a closed <details> is in the DOM but not laid out.
    let open = if rows.len() <= LIST_OPEN_AT_MOST {
        " open"
    } else {
        ""
    };
    let _ = write!(
        out,
        "<h2>All {} tests</h2>\n<details id=\"list\"{open}><summary>every test with its outcome and time</summary>\n\
         <p><input id=\"filter\" placeholder=\"filter by name or outcome\" size=\"40\"></p>\n<ol id=\"all\">\n",
        rows.len()
    );
    for r in &rows {
        let _ = writeln!(
            out,
            "<li class=\"{}\">{} {} {}</li>",
            r.status,
            Xml(&full_name(r)),
            r.status,
            show(r.time)
        );
    }
    let _ = write!(
        out,
        "</ol></details>\n<script>{SCRIPT}</script>\n</body></html>\n"
    );
    out
}

/// Makespan against the bound, the chain, time lost per constraint, advice.
fn why(out: &mut String, rec: &Recording, facts: &Facts) {
    let b = &facts.bound;
    let ratio = facts.makespan.as_secs_f64() / b.total.as_secs_f64().max(1e-9);
    let _ = write!(
        out,
        "<h2>Why the run took {}</h2>\n<p id=\"bound\">No schedule of these tests on {} workers can take less than <b>{}</b>: \
         {} of serial tests (they run alone) plus {} set by <b>{}</b>. This run took {ratio:.2}× that bound.</p>\n<p>{}</p>\n",
        show(facts.makespan),
        facts.workers,
        show(b.total),
        show(b.serial),
        show(b.term_time),
        Xml(&b.term),
        Xml(&advice(&b.term, ratio)),
    );
    let mut chain: Vec<(&str, Duration)> = b.chain.iter().map(|&i| facts.jobs[i]).collect();
    chain.sort_by_key(|c| std::cmp::Reverse(c.1));
    let _ = writeln!(
        out,
        "<p>The tests that set the bound ({}), longest first:</p><table id=\"chain\">",
        chain.len()
    );
    for (name, d) in chain.iter().take(15) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            Xml(name),
            show(*d)
        );
    }
    if chain.len() > 15 {
        let _ = writeln!(
            out,
            "<tr><td>… and {} more</td><td></td></tr>",
            chain.len() - 15
        );
    }
    out.push_str("</table>\n");
    let mut lost: BTreeMap<String, (Duration, usize)> = BTreeMap::new();
    for w in &rec.waits {
        let entry = lost.entry(w.hold.to_string()).or_default();
        entry.0 += w.end - w.start;
        entry.1 += 1;
    }
    let mut lost: Vec<_> = lost.into_iter().collect();
    lost.sort_by_key(|l| std::cmp::Reverse(l.1 .0));
    out.push_str("<p>Time free workers lost waiting, by constraint:</p><table id=\"lost\"><tr><th>constraint</th><th>waited</th><th>waits</th></tr>\n");
    if lost.is_empty() {
        out.push_str(
            "<tr><td>none: no worker waited on a constraint</td><td></td><td></td></tr>\n",
        );
    }
    for (hold, (time, n)) in &lost {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{n}</td></tr>",
            Xml(hold),
            show(*time)
        );
    }
    out.push_str("</table>\n");
}

/// What to change, from the term that sets the bound.
fn advice(term: &str, ratio: f64) -> String {
    let near = if ratio < 1.15 {
        "The schedule is close to the bound: only changing the tests' constraints or durations shortens the run. "
    } else {
        "The schedule is well above the bound: look at the waits above and in the timeline. "
    };
    let what = match term.split_once(' ').map_or(term, |(kind, _)| kind) {
        "workers" => "The work itself sets the bound: more workers (--test-threads) would shorten it.".to_owned(),
        "longest" => "One test sets the bound: shortening or splitting it is what helps.".to_owned(),
        "key" => format!("Tests sharing {term} run one after another: splitting the key, or shortening those tests, shortens the run."),
        "group" => format!("The tests of {term} run on one worker: a smaller group shortens the run."),
        "pool" => format!("{term} is the bottleneck: a larger pool (--resource-pool, --redis-dbs) shortens the run."),
        "heavy" => "heavy_resource tests are the bottleneck: a higher --heavy-limit shortens the run.".to_owned(),
        "cap" => format!("The {term} is the bottleneck: a higher --max-concurrency shortens the run."),
        _ => "Serial tests run alone: making them serial(key) where they only share one thing lets others run beside them.".to_owned(),
    };
    format!("{near}{what}")
}

fn failures(out: &mut String, rows: &[Row<'_>], facts: &Facts) {
    let failed: Vec<&Row<'_>> = rows
        .iter()
        .filter(|r| ["failed", "flaky", "quarantined"].contains(&r.status))
        .collect();
    let _ = writeln!(out, "<h2>Failures ({})</h2>", failed.len());
    if failed.is_empty() {
        out.push_str("<p>None.</p>\n");
    }
    for (n, r) in failed.iter().enumerate() {
        if n == FAILURES_SHOWN {
            let _ = writeln!(
                out,
                "<p>{} more failures: their names are in the list of all tests.</p>",
                failed.len() - n
            );
            break;
        }
        let _ = write!(
            out,
            "<details class=\"failure\"{}><summary class=\"{}\">{} ({})</summary>",
            if n < 5 { " open" } else { "" },
            r.status,
            Xml(&full_name(r)),
            r.status
        );
        for s in r.attempts.iter().filter(|s| s.failure.is_some()) {
            let text = s.failure.as_deref().unwrap_or_default();
            let _ = write!(
                out,
                "<p>attempt {} on {}: {}</p><pre>{}</pre>",
                s.attempt,
                facts.worker_name(s.worker),
                s.outcome,
                Xml(text)
            );
        }
        out.push_str("</details>\n");
    }
}

fn slowest(out: &mut String, rows: &[Row<'_>]) {
    let mut by_time: Vec<&Row<'_>> = rows.iter().filter(|r| !r.attempts.is_empty()).collect();
    by_time.sort_by_key(|r| std::cmp::Reverse(r.time));
    out.push_str("<h2>Slowest tests</h2>\n<table id=\"slowest\">\n");
    for r in by_time.iter().take(20) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            Xml(&full_name(r)),
            show(r.time)
        );
    }
    out.push_str("</table>\n");
}
