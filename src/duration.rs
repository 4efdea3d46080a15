//! Durations as people write them: `250ms`, `30s`, `2m`, `1h` (a bare number is seconds),
//! parsed by the `partest-duration` crate the attribute macro uses too.

use std::time::Duration;

/// Parses a duration with partest's one grammar (shared with the `timeout = "…"`
/// attribute); the error names the text and the accepted forms.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    partest_duration::parse(text)
}

/// A duration the way reports show it: `250ms`, `1.50s`, `2m05s`.
pub(crate) fn show(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{}ms", d.as_millis())
    } else if secs < 60.0 {
        format!("{secs:.2}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_the_shared_grammar_and_shows_durations() {
        // The grammar itself is tested in the partest-duration crate.
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon")
            .unwrap_err()
            .contains("`soon` is not a duration"));
        assert_eq!(show(Duration::from_millis(1500)), "1.50s");
    }
}
