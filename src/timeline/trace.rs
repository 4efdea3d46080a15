//! `--trace FILE`: the recording as Chrome trace-event JSON, which Perfetto and
//! chrome://tracing open. Track 0 is the run itself (server start-ups, per_run set-up and
//! teardown); track N+1 is worker gwN: a slice per test attempt (category: its binary),
//! a `wait` slice for each time the worker was free and a constraint held the next test
//! back, and its per_worker set-ups. Crashes and restarts are instant events. The run's
//! makespan and lower bound are in `otherData`.

use super::{Facts, Recording};
use crate::report::escape::Json;
use std::fmt::Write as _;
use std::time::Instant;

/// Microseconds from `epoch` to `at`, for `ts` and `dur`.
fn micros(epoch: Instant, at: Instant) -> f64 {
    at.saturating_duration_since(epoch).as_secs_f64() * 1e6
}

/// Chrome's reserved colour names, one per binary (outcomes override: failures red).
const PALETTE: [&str; 6] = [
    "thread_state_running",
    "rail_load",
    "rail_animation",
    "rail_idle",
    "cq_build_running",
    "generic_work",
];

/// The trace file's text.
pub(crate) fn write(rec: &Recording, facts: &Facts) -> String {
    let mut out = String::with_capacity(200 * (rec.slices.len() + rec.waits.len()) + 4096);
    out.push_str("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    let _ = write!(
        out,
        "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{{\"name\":\"partest run\"}}}},\n\
         {{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":0,\"args\":{{\"name\":\"run\"}}}}"
    );
    tracks(&mut out, facts);
    slices(&mut out, rec, facts);
    waits(&mut out, rec);
    others(&mut out, rec);
    run_data(&mut out, facts);
    out
}

/// A named track per worker.
fn tracks(out: &mut String, facts: &Facts) {
    for w in 0..facts.workers {
        let _ = write!(
            out,
            ",\n{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":{},\"args\":{{\"name\":\"{}\"}}}}",
            w + 1,
            facts.worker_name(w)
        );
    }
}

/// A slice per test attempt, its category the binary.
fn slices(out: &mut String, rec: &Recording, facts: &Facts) {
    for s in &rec.slices {
        let binary = match facts.binary_of(s.test.binary) {
            "" => "test",
            name => name,
        };
        let colour = match s.outcome {
            "failed" => "terrible",
            "timed out" => "bad",
            _ => PALETTE[s.test.binary as usize % PALETTE.len()],
        };
        let markers = s.test.marker_names().join(", ");
        let leases: Vec<String> = s.leases.iter().map(|(p, n)| format!("{p} {n}")).collect();
        let _ = write!(
            out,
            ",\n{{\"ph\":\"X\",\"pid\":1,\"tid\":{},\"ts\":{:.3},\"dur\":{:.3},\"name\":\"{}\",\"cat\":\"{}\",\"cname\":\"{colour}\",\
             \"args\":{{\"outcome\":\"{}\",\"attempt\":{},\"worker\":\"{}\",\"markers\":\"{}\",\"leases\":\"{}\",\"binary\":\"{}\"}}}}",
            s.worker + 1,
            micros(rec.epoch, s.start),
            micros(s.start, s.end),
            Json(s.test.name),
            Json(binary),
            s.outcome,
            s.attempt,
            facts.worker_name(s.worker),
            Json(&markers),
            Json(&leases.join(", ")),
            Json(binary),
        );
    }
}

/// A `wait` slice per time a free worker waited, with the constraint and the test.
fn waits(out: &mut String, rec: &Recording) {
    for w in &rec.waits {
        let holder = w.holder.map_or("", |t| t.name);
        let _ = write!(
            out,
            ",\n{{\"ph\":\"X\",\"pid\":1,\"tid\":{},\"ts\":{:.3},\"dur\":{:.3},\"name\":\"wait: {}\",\"cat\":\"wait\",\"cname\":\"grey\",\
             \"args\":{{\"test\":\"{}\",\"constraint\":\"{}\",\"kind\":\"{}\",\"holder\":\"{}\"}}}}",
            w.worker + 1,
            micros(rec.epoch, w.start),
            micros(w.start, w.end),
            Json(&w.hold.to_string()),
            Json(w.test.name),
            Json(&w.hold.to_string()),
            w.hold.kind(),
            Json(holder),
        );
    }
}

/// Set-ups, teardowns and start-ups as slices; crashes as instant events.
fn others(out: &mut String, rec: &Recording) {
    for s in &rec.spans {
        let _ = write!(
            out,
            ",\n{{\"ph\":\"X\",\"pid\":1,\"tid\":{},\"ts\":{:.3},\"dur\":{:.3},\"name\":\"{}\",\"cat\":\"setup\",\"cname\":\"yellow\"}}",
            s.worker.map_or(0, |w| w + 1),
            micros(rec.epoch, s.start),
            micros(s.start, s.end),
            Json(&s.what),
        );
    }
    for m in &rec.marks {
        let _ = write!(
            out,
            ",\n{{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":{},\"ts\":{:.3},\"name\":\"{}\",\"cat\":\"event\"}}",
            m.worker.map_or(0, |w| w + 1),
            micros(rec.epoch, m.at),
            Json(&m.what),
        );
    }
}

/// The run's makespan and lower bound, in `otherData`.
fn run_data(out: &mut String, facts: &Facts) {
    let b = &facts.bound;
    let _ = write!(
        out,
        "\n],\"otherData\":{{\"makespan_us\":{:.3},\"lower_bound_us\":{:.3},\"lower_bound_serial_us\":{:.3},\
         \"lower_bound_term\":\"{}\",\"lower_bound_term_us\":{:.3},\"workers\":{},\"isolation\":\"{}\",\"binaries\":\"{}\"}}}}\n",
        facts.makespan.as_secs_f64() * 1e6,
        b.total.as_secs_f64() * 1e6,
        b.serial.as_secs_f64() * 1e6,
        Json(&b.term),
        b.term_time.as_secs_f64() * 1e6,
        facts.workers,
        facts.isolation,
        Json(&facts.binaries.join(", ")),
    );
}
