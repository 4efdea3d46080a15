//! The one duration grammar of partest, shared by the `#[partest::test(timeout = "…")]`
//! attribute (checked when the macro expands) and the command line, environment and
//! config (`--timeout 30s`): a number, optionally with a fraction, then a unit — `ms`,
//! `s`, `m` or `min`, `h` — or no unit for seconds. Spaces around it are ignored.
//! [`parse`] is the whole API.

use std::time::Duration;

/// Parses `text` (`250ms`, `1.5s`, `30`, `2m`, `1h`).
///
/// # Errors
/// The message names the text and the accepted forms.
pub fn parse(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration (expected e.g. 250ms, 30s, 2m, 1h)");
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let nanos_per_unit: u128 = match unit.trim() {
        "ms" => 1_000_000,
        "" | "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(bad()),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(bad());
    }
    let digits = |s: &str| -> Result<u128, String> {
        if s.is_empty() {
            Ok(0)
        } else {
            s.parse::<u128>().map_err(|_| bad())
        }
    };
    // Integer arithmetic: `1.1s` is exactly 1_100 ms, not 1.1 in binary floating point.
    let scale = 10u128.checked_pow(fraction.len() as u32).ok_or_else(bad)?;
    let nanos = digits(whole)?
        .checked_mul(nanos_per_unit)
        .and_then(|w| w.checked_add(digits(fraction).ok()? * nanos_per_unit / scale))
        .ok_or_else(bad)?;
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| bad())?;
    Ok(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::parse;
    use std::time::Duration;

    #[test]
    fn accepts_units_fractions_and_bare_seconds() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("1.1s"), Ok(Duration::from_millis(1100)));
        assert_eq!(parse("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse(" 2m "), Ok(Duration::from_secs(120)));
        assert_eq!(parse("2 min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "soon",
            "-1s",
            "5 parsecs",
            "1.2.3s",
            ".",
            "s",
            "1e3s",
            "99999999999999999999999h",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("is not a duration"), "{bad}: {e}");
        }
    }
}
