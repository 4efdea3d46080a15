//! The timeline of a run drawn as SVG: a row per worker, time left to right; a bar per
//! test attempt coloured by outcome, grey hatched bars where a free worker waited on a
//! constraint, yellow ones for set-ups. Each bar's tooltip names it. Past
//! [`DETAILED_AT_MOST`] attempts, bars narrower than a pixel would only blur: each
//! worker's row is then drawn a pixel column at a time, coloured by the worst outcome in
//! it, its tooltip counting the attempts there (the report's lists still name every test).

use super::{show, Facts, Recording};
use crate::report::escape::Xml;
use std::fmt::Write as _;
use std::time::Instant;

/// Attempts drawn one bar each; more are drawn by pixel column.
pub(crate) const DETAILED_AT_MOST: usize = 5_000;
const WIDTH: f64 = 1200.0;
const LABEL: f64 = 70.0;
const ROW: f64 = 22.0;
const AXIS: f64 = 24.0;

/// The colour of an outcome.
pub(crate) fn colour(outcome: &str) -> &'static str {
    match outcome {
        "failed" => "#e53935",
        "timed out" => "#fb8c00",
        _ => "#43a047",
    }
}

struct Scale {
    epoch: Instant,
    px_per_sec: f64,
}

impl Scale {
    fn x(&self, at: Instant) -> f64 {
        LABEL + at.saturating_duration_since(self.epoch).as_secs_f64() * self.px_per_sec
    }
}

fn row_y(worker: Option<usize>) -> f64 {
    AXIS + worker.map_or(0.0, |w| (w + 1) as f64) * ROW
}

/// The `<svg>` element of the run's timeline.
pub(crate) fn timeline(rec: &Recording, facts: &Facts) -> String {
    let seconds = facts.makespan.as_secs_f64().max(1e-6);
    let scale = Scale {
        epoch: rec.epoch,
        px_per_sec: (WIDTH - LABEL - 10.0) / seconds,
    };
    let height = AXIS + (facts.workers + 1) as f64 * ROW + 4.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"timeline\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"6\" height=\"6\" fill=\"#e0e0e0\"/><rect width=\"2\" height=\"6\" fill=\"#9e9e9e\"/></pattern></defs>\n"
    );
    axis(&mut out, seconds, &scale);
    labels_spans_and_waits(&mut out, rec, facts, &scale);
    if rec.slices.len() <= DETAILED_AT_MOST {
        slices(&mut out, rec, facts, &scale);
    } else {
        columns(&mut out, rec, facts, &scale);
    }
    out.push_str("</svg>\n");
    out
}

/// The row labels, the set-up and teardown spans, and the waits (hatched).
fn labels_spans_and_waits(out: &mut String, rec: &Recording, facts: &Facts, scale: &Scale) {
    let _ = writeln!(out, "<text x=\"4\" y=\"{}\">run</text>", row_y(None) + 15.0);
    for w in 0..facts.workers {
        let y = row_y(Some(w));
        let _ = writeln!(
            out,
            "<text x=\"4\" y=\"{}\">{}</text>",
            y + 15.0,
            facts.worker_name(w)
        );
    }
    for s in &rec.spans {
        let tip = format!("{} ({})", s.what, show(s.end - s.start));
        bar(out, scale, (s.worker, s.start, s.end), "#fdd835", &tip);
    }
    for w in &rec.waits {
        let tip = format!(
            "{} waited {}: {}",
            w.test.name,
            show(w.end - w.start),
            w.hold
        );
        bar(
            out,
            scale,
            (Some(w.worker), w.start, w.end),
            "url(#hatch)",
            &tip,
        );
    }
}

/// One bar per test attempt, coloured by its outcome.
fn slices(out: &mut String, rec: &Recording, facts: &Facts, scale: &Scale) {
    for s in &rec.slices {
        let tip = format!(
            "{} — {} in {} on {}",
            s.test.name,
            s.outcome,
            show(s.end - s.start),
            facts.worker_name(s.worker)
        );
        bar(
            out,
            scale,
            (Some(s.worker), s.start, s.end),
            colour(s.outcome),
            &tip,
        );
    }
}

/// Ticks at a round step along the top.
fn axis(out: &mut String, seconds: f64, scale: &Scale) {
    let raw = seconds / 8.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    let mut t = 0.0;
    while t <= seconds + step * 1e-9 {
        let x = LABEL + t * scale.px_per_sec;
        let label = show(std::time::Duration::from_secs_f64(t));
        let _ = writeln!(out, "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"2000\" stroke=\"#eee\"/><text x=\"{x:.1}\" y=\"14\">{label}</text>", AXIS - 6.0);
        t += step;
    }
}

fn bar(
    out: &mut String,
    scale: &Scale,
    (row, start, end): (Option<usize>, Instant, Instant),
    fill: &str,
    tip: &str,
) {
    let x = scale.x(start);
    let width = (scale.x(end) - x).max(1.0);
    let y = row_y(row) + 2.0;
    let _ = writeln!(
        out,
        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{}\" fill=\"{fill}\"><title>{}</title></rect>",
        ROW - 4.0,
        Xml(tip)
    );
}

/// A large run: per worker and pixel column, the attempts there, drawn as runs of
/// columns of the same worst outcome.
fn columns(out: &mut String, rec: &Recording, facts: &Facts, scale: &Scale) {
    let columns = (WIDTH - LABEL) as usize;
    let rank = |o: &str| match o {
        "failed" => 3u8,
        "timed out" => 2,
        _ => 1,
    };
    let mut cells = vec![(0u32, 0u8); columns * facts.workers];
    for s in &rec.slices {
        let first = (scale.x(s.start) - LABEL).max(0.0) as usize;
        let last = (scale.x(s.end) - LABEL).max(0.0) as usize;
        for c in first.min(columns - 1)..=last.min(columns - 1) {
            let cell = &mut cells[s.worker * columns + c];
            cell.0 += 1;
            cell.1 = cell.1.max(rank(s.outcome));
        }
    }
    for w in 0..facts.workers {
        let row = &cells[w * columns..(w + 1) * columns];
        let mut c = 0;
        while c < columns {
            let (_, worst) = row[c];
            let end = (c..columns).find(|&e| row[e].1 != worst).unwrap_or(columns);
            if worst > 0 {
                let count: u32 = row[c..end].iter().map(|cell| cell.0).sum();
                let outcome = ["", "passed", "timed out", "failed"][worst as usize];
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{:.1}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{count} attempts on {}</title></rect>",
                    LABEL + c as f64,
                    row_y(Some(w)) + 2.0,
                    end - c,
                    ROW - 4.0,
                    colour(outcome),
                    facts.worker_name(w)
                );
            }
            c = end;
        }
    }
}
