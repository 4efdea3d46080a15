//! The `PARTEST_*` environment checked before a run: a value partest would read is
//! validated here, so a bad one is a clear error at the start instead of a panic inside a
//! test or a silent default; a `PARTEST_*` name partest does not know is a warning (with
//! the name it was probably meant to be).

use super::options::OPTIONS;
use crate::duration::parse_duration;

/// How a variable's value is checked.
#[derive(Clone, Copy)]
enum Check {
    /// Any text (a path, a user name, an id).
    Any,
    /// A whole number.
    Count,
    /// A whole number > 0.
    Positive,
    /// A duration like `250ms`.
    Duration,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A URL with one of these schemes.
    Url(&'static [&'static str]),
}

/// The variables partest reads besides its options' (those are in `options.rs`'s table
/// and checked by the option parser).
const OTHERS: &[(&str, Check)] = &[
    ("PARTEST_ARGS", Check::Any),
    // Checked where the worker count is read (`cli/selection.rs`).
    ("PARTEST_WORKERS", Check::Any),
    ("PARTEST_DISABLE_PARALLEL", Check::Any),
    ("PARTEST_HISTORY_DIR", Check::Any),
    (
        "PARTEST_LIVE_STATUS",
        Check::OneOf(&["never", "always", "auto"]),
    ),
    ("PARTEST_TESTRUN_UID", Check::Any),
    ("PARTEST_MAX_RETRIES", Check::Count),
    ("PARTEST_BASE_BACKOFF", Check::Duration),
    ("PARTEST_MAX_BACKOFF", Check::Duration),
    ("PARTEST_RATE_LIMIT_DELAY", Check::Duration),
    ("PARTEST_MAX_CONCURRENT_REQUESTS", Check::Positive),
    (
        "PARTEST_REDIS_URL",
        Check::Url(&["redis", "rediss", "redis+unix", "unix"]),
    ),
    (
        "PARTEST_POSTGRES_URL",
        Check::Url(&["postgres", "postgresql"]),
    ),
    ("PARTEST_POSTGRES_BIN", Check::Any),
    ("PARTEST_POSTGRES_USER", Check::Any),
    ("PARTEST_SERVICES_DIR", Check::Any),
    ("PARTEST_SERVICES_CACHE", Check::Any),
    // Set by partest for the processes it starts.
    ("PARTEST_WORKER", Check::Any),
    ("PARTEST_SERVICES_WATCH_PID", Check::Positive),
];

fn check(name: &str, value: &str, how: Check) -> Result<(), String> {
    let problem = match how {
        Check::Any => return Ok(()),
        Check::Count => value
            .trim()
            .parse::<u64>()
            .err()
            .map(|_| "a whole number".into()),
        Check::Positive => match value.trim().parse::<u64>() {
            Ok(n) if n > 0 => None,
            _ => Some("a whole number > 0".into()),
        },
        Check::Duration => parse_duration(value)
            .err()
            .map(|_| "a duration like 250ms or 2s".into()),
        Check::OneOf(words) => {
            (!words.contains(&value.trim())).then(|| format!("one of {}", words.join(", ")))
        }
        Check::Url(schemes) => {
            let scheme = value.split_once("://").map(|(s, _)| s);
            (!scheme.is_some_and(|s| schemes.contains(&s)))
                .then(|| format!("a URL starting {}://", schemes.join("://, ")))
        }
    };
    match problem {
        None => Ok(()),
        Some(wanted) => Err(format!("{name} is `{value}`; it must be {wanted}")),
    }
}

/// Checks `vars` (the process's environment): an error for the first invalid value of a
/// variable partest reads, and a warning for each `PARTEST_*` name it does not know.
pub(crate) fn check_vars(
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, String> {
    let option_vars = OPTIONS.iter().filter_map(|o| o.env);
    let known: Vec<&str> = option_vars.chain(OTHERS.iter().map(|(n, _)| *n)).collect();
    let mut warnings = Vec::new();
    let mut vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(n, _)| n.starts_with("PARTEST_"))
        .collect();
    vars.sort();
    for (name, value) in vars {
        if let Some((_, how)) = OTHERS.iter().find(|(n, _)| *n == name) {
            check(&name, &value, *how)?;
        } else if !known.contains(&name.as_str()) {
            let hint = match crate::markers::closest(&name, known.iter().copied()) {
                Some(close) => format!("; did you mean {close}?"),
                None => String::new(),
            };
            warnings.push(format!(
                "warning: {name} is not a variable partest reads{hint}"
            ));
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::check_vars;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn bad_values_are_errors_and_unknown_names_warnings() {
        let e = check_vars(vars(&[("PARTEST_LIVE_STATUS", "sometimes")])).unwrap_err();
        assert_eq!(
            e,
            "PARTEST_LIVE_STATUS is `sometimes`; it must be one of never, always, auto"
        );
        let e = check_vars(vars(&[("PARTEST_BASE_BACKOFF", "soon")])).unwrap_err();
        assert!(e.contains("a duration like 250ms"), "{e}");
        let e = check_vars(vars(&[("PARTEST_REDIS_URL", "localhost:6379")])).unwrap_err();
        assert!(e.contains("a URL starting redis://"), "{e}");
        let w = check_vars(vars(&[
            ("PARTEST_HEAVY_LIMT", "2"),
            ("PARTEST_WORKERS", "4"),
            ("PARTEST_LIVE_STATUS", "never"),
            ("HOME", "/root"),
        ]))
        .unwrap();
        assert_eq!(
            w,
            ["warning: PARTEST_HEAVY_LIMT is not a variable partest reads; did you mean PARTEST_HEAVY_LIMIT?"]
        );
    }
}
