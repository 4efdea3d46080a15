//! The one table of settings ([`OPTIONS`]): every command-line option, with its
//! environment variable and config key where it has them, its `--help` line and its
//! section. The parser, `--help`, the config file's list of known keys and the env
//! lookups all read it, so a setting is declared once.

/// Whether an option takes a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No value.
    Flag,
    /// One value; given twice is an error (getopts' rule).
    Value,
    /// A value, repeatable.
    Multi,
}

/// Where `--help` lists a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    /// libtest's own options.
    Libtest,
    /// partest's scheduling options.
    Scheduling,
    /// partest's selection and report options.
    Selection,
    /// Config-file keys without a flag.
    ConfigOnly,
    /// Not listed (an alias shown in another entry's label).
    Hidden,
}

/// One setting.
#[derive(Debug)]
pub(crate) struct Opt {
    /// `--long` name (empty for short-only options and config-only keys).
    pub(crate) long: &'static str,
    /// `-s` name, if any.
    pub(crate) short: &'static str,
    pub(crate) kind: Kind,
    /// The environment variable that gives it when the command line does not.
    pub(crate) env: Option<&'static str>,
    /// Its key in `partest.toml` / `[package.metadata.partest]`.
    pub(crate) config: Option<&'static str>,
    pub(crate) section: Section,
    /// The left column of its `--help` line (`--heavy-limit N`).
    pub(crate) label: &'static str,
    /// Its `--help` text, wrapped when shown.
    pub(crate) help: &'static str,
}

const fn opt(long: &'static str, short: &'static str, kind: Kind, section: Section) -> Opt {
    Opt {
        long,
        short,
        kind,
        env: None,
        config: None,
        section,
        label: "",
        help: "",
    }
}

impl Opt {
    const fn label(mut self, label: &'static str, help: &'static str) -> Opt {
        self.label = label;
        self.help = help;
        self
    }

    const fn env(mut self, var: &'static str) -> Opt {
        self.env = Some(var);
        self
    }

    const fn config(mut self, key: &'static str) -> Opt {
        self.config = Some(key);
        self
    }
}

use Kind::{Flag, Multi, Value};
use Section::{ConfigOnly, Hidden, Libtest, Scheduling, Selection};

/// Every setting, in `--help` order.
pub(crate) const OPTIONS: &[Opt] = &[
    opt("include-ignored", "", Flag, Libtest).label("--include-ignored", "Run ignored tests as well as the others"),
    opt("ignored", "", Flag, Libtest).label("--ignored", "Run only ignored tests"),
    opt("exclude-should-panic", "", Flag, Libtest).label("--exclude-should-panic", "Leave out tests marked should_panic"),
    opt("test", "", Flag, Libtest).label("--test", "Run tests (the default)"),
    opt("bench", "", Flag, Libtest).label("--bench", "Run benchmarks (partest has none: tests show as ignored)"),
    opt("list", "", Flag, Libtest).label("--list", "List the selected tests instead of running them (--format terse: names only; json: libtest's discovery events)"),
    opt("fail-fast", "", Flag, Libtest).label("--fail-fast", "Start no new test after the first failure"),
    opt("help", "h", Flag, Libtest).label("-h, --help", "Print this text"),
    opt("logfile", "", Value, Libtest).label("--logfile PATH", "Also write one line per result to PATH"),
    opt("no-capture", "", Flag, Libtest).label("--no-capture, --nocapture", "Let tests print straight to the terminal (env RUST_TEST_NOCAPTURE)").env("RUST_TEST_NOCAPTURE"),
    opt("nocapture", "", Flag, Hidden),
    opt("test-threads", "", Value, Libtest).label("--test-threads N", "Number of worker threads (default: the machine's available parallelism; env RUST_TEST_THREADS)").env("RUST_TEST_THREADS"),
    opt("skip", "", Multi, Libtest).label("--skip FILTER", "Leave out tests whose names contain FILTER (repeatable)"),
    opt("quiet", "q", Flag, Libtest).label("-q, --quiet", "Same as --format terse"),
    opt("exact", "", Flag, Libtest).label("--exact", "Filters and --skip match whole test names"),
    opt("color", "", Value, Libtest).label("--color auto|always|never", "Colour the results (auto: when stdout is a terminal)"),
    opt("format", "", Value, Libtest).label("--format pretty|terse|json|junit", "pretty: a line per test; terse: a character per test; json: libtest's JSON lines (no -Z needed); junit: a JUnit XML document"),
    opt("show-output", "", Flag, Libtest).label("--show-output", "Also print the captured output of passing tests"),
    opt("", "Z", Value, Libtest).label("-Z unstable-options", "Accepted for libtest compatibility; not required"),
    opt("report-time", "", Flag, Libtest).label("--report-time", "Print each test's duration"),
    opt("ensure-time", "", Flag, Libtest).label("--ensure-time", "Accepted for libtest compatibility (no effect)"),
    opt("shuffle", "", Flag, Libtest).label("--shuffle", "Run tests in a random order (env RUST_TEST_SHUFFLE)").env("RUST_TEST_SHUFFLE"),
    opt("shuffle-seed", "", Value, Libtest).label("--shuffle-seed SEED", "Run tests in the random order that SEED gives (env RUST_TEST_SHUFFLE_SEED)").env("RUST_TEST_SHUFFLE_SEED"),
    opt("force-run-in-process", "", Flag, Libtest).label("--force-run-in-process", "Accepted for libtest compatibility (threads mode runs tests in this process)"),
    opt("dist", "", Value, Scheduling).label("--dist MODE", "load (default; loadgroup and worksteal are the same algorithm here), loadscope (a module's tests on one worker), loadfile (a file's tests on one worker), no (sequential); env PARTEST_DIST").env("PARTEST_DIST").config("dist"),
    opt("isolate", "", Value, Scheduling).label("--isolate threads|process", "threads (default): worker threads in this process; process: persistent worker processes, one test at a time each: output captured at the file-descriptor level, a test that crashes is reported and its worker replaced, a test past its timeout is killed (Linux and macOS); env PARTEST_ISOLATE").env("PARTEST_ISOLATE").config("isolate"),
    opt("max-worker-restart", "", Value, Scheduling).label("--max-worker-restart N", "With --isolate process: after N crashed workers (default 4 per worker) no new test starts; the rest are reported not run (env PARTEST_MAX_WORKER_RESTART)").env("PARTEST_MAX_WORKER_RESTART"),
    opt("timeout-grace", "", Value, Scheduling).label("--timeout-grace D", "With --isolate process: after SIGTERM, how long a timed-out test's process group gets before SIGKILL (default 1s; env PARTEST_TIMEOUT_GRACE)").env("PARTEST_TIMEOUT_GRACE"),
    opt("exitfirst", "x", Flag, Scheduling).label("-x, --exitfirst", "Same as --maxfail 1 (and libtest's --fail-fast)"),
    opt("maxfail", "", Value, Scheduling).label("--maxfail N", "Start no test after N failures; the rest are reported as not run"),
    opt("heavy-limit", "", Value, Scheduling).label("--heavy-limit N", "heavy_resource tests at once (default: a quarter of the workers, at least 1); env PARTEST_HEAVY_LIMIT").env("PARTEST_HEAVY_LIMIT").config("heavy_limit"),
    opt("redis-dbs", "", Value, Scheduling).label("--redis-dbs N|A-B", "Databases redis_isolated tests lease: 0 to N-1, or A to B (default 16 = 0-15); env PARTEST_REDIS_DBS").env("PARTEST_REDIS_DBS").config("redis_dbs"),
    opt("max-concurrency", "", Multi, Scheduling).label("--max-concurrency MARKER=N", "At most N tests with MARKER at once (repeatable); env PARTEST_MAX_CONCURRENCY=a=1,b=2; config [max_concurrency]").env("PARTEST_MAX_CONCURRENCY").config("max_concurrency"),
    opt("resource-pool", "", Multi, Scheduling).label("--resource-pool NAME=K", "Size of pool NAME for resource(NAME) (repeatable); env PARTEST_RESOURCE_POOLS=a=1,b=2; config [pools]").env("PARTEST_RESOURCE_POOLS").config("pools"),
    opt("timeout", "", Value, Scheduling).label("--timeout D", "Time limit of tests without their own timeout (e.g. 30s; env PARTEST_TIMEOUT). A test past it is reported failed at once and its worker replaced: in threads mode its thread is abandoned, in process mode its process group is killed").env("PARTEST_TIMEOUT").config("timeout"),
    opt("slow-timeout", "", Value, Scheduling).label("--slow-timeout D", "Report tests running longer than D, again at each multiple (default 60s, 0 turns it off; env PARTEST_SLOW_TIMEOUT)").env("PARTEST_SLOW_TIMEOUT"),
    opt("run-timeout", "", Value, Scheduling).label("--run-timeout D", "End the run after D: list the running tests, report them timed out, exit 101 (env PARTEST_RUN_TIMEOUT)").env("PARTEST_RUN_TIMEOUT"),
    opt("reruns", "", Value, Scheduling).label("--reruns N", "Run a failing test up to N more times (a test's own retries = N wins; env PARTEST_RERUNS); one that then passes is reported FLAKY and does not fail the run").env("PARTEST_RERUNS"),
    opt("reruns-delay", "", Value, Scheduling).label("--reruns-delay D", "Wait D before each rerun (env PARTEST_RERUNS_DELAY)").env("PARTEST_RERUNS_DELAY"),
    opt("fail-on-flaky", "", Flag, Scheduling).label("--fail-on-flaky", "A FLAKY test fails the run"),
    opt("", "m", Value, Selection).label("-m EXPR", "Only tests whose markers match EXPR: marker names, and, or, not, parentheses (pytest's grammar). Built-in markers: serial, serial_KEY, heavy_resource, redis_isolated, group_NAME, resource_NAME"),
    opt("strict-markers", "", Flag, Selection).label("--strict-markers", "A custom marker not declared in the config is an error").config("strict_markers"),
    opt("lf", "", Flag, Selection).label("--lf, --last-failed", "Only the tests that failed last time (all if none did)"),
    opt("last-failed", "", Flag, Hidden),
    opt("ff", "", Flag, Selection).label("--ff, --failed-first", "The tests that failed last time first, then the rest"),
    opt("failed-first", "", Flag, Hidden),
    opt("partition", "", Value, Selection).label("--partition count:K/N|hash:K/N|duration:K/N", "Run shard K of N (also Bazel's TEST_TOTAL_SHARDS and TEST_SHARD_INDEX); duration balances shards by the recorded durations, unknown tests by hash"),
    opt("junit", "", Value, Selection).label("--junit PATH", "Also write a JUnit XML report (also XML_OUTPUT_FILE)"),
    opt("durations", "", Value, Selection).label("--durations N", "List the N slowest tests after the summary"),
    opt("trace", "", Value, Selection).label("--trace PATH", "Write the run's timeline as Chrome trace-event JSON (open in Perfetto or chrome://tracing): a track per worker, a slice per test attempt, what each wait on a constraint was for (env PARTEST_TRACE, config trace)").env("PARTEST_TRACE").config("trace"),
    opt("html", "", Value, Selection).label("--html PATH", "Write a self-contained HTML report: summary, why the run took as long as it did, the timeline, failures, slowest tests (env PARTEST_HTML, config html)").env("PARTEST_HTML").config("html"),
    opt("measure", "", Flag, Selection).label("--measure", "After the summary: wall time against test time, time workers waited on constraints, each worker's busy share"),
    opt("verbose", "v", Flag, Selection).label("-v, --verbose", "Show the worker and the markers beside each result (test a ... ok [gw3 serial, redis_isolated])"),
    opt("partest-manifest", "", Flag, Selection).label("--partest-manifest", "Print the selected tests with their markers and constraints for cargo partest (tab-separated, versioned), and exit"),
    opt("nextest-config", "", Flag, Selection).label("--nextest-config", "Print the .config/nextest.toml fragment that makes the markers hold under cargo nextest, and exit"),
    opt("", "", Value, ConfigOnly).label("markers", "Declared custom markers: an array of names, or a table of name = \"description\"").config("markers"),
    opt("", "", Value, ConfigOnly).label("quarantine", "Markers whose tests run and report but never fail the run").config("quarantine"),
];

/// The environment variable of the option named `name` (long or short).
pub(crate) fn env_of(name: &str) -> Option<&'static str> {
    OPTIONS
        .iter()
        .find(|o| (o.long == name || o.short == name) && !name.is_empty())
        .and_then(|o| o.env)
}

/// The config keys partest knows, in table order (`markers, strict_markers, …`).
pub(crate) fn config_keys() -> Vec<&'static str> {
    OPTIONS.iter().filter_map(|o| o.config).collect()
}

/// The `--help` lines of `section`: the label in a 24-column field after 4 spaces (on a
/// line of its own when longer), the text wrapped at 80 columns.
pub(crate) fn help_lines(section: Section) -> String {
    const INDENT: usize = 28;
    const WIDTH: usize = 80;
    let mut out = String::new();
    for o in OPTIONS.iter().filter(|o| o.section == section) {
        // Short-only and long options line up like libtest's: `-q, --quiet` and `    --exact`.
        let left = if o.label.starts_with("--") {
            format!("        {}", o.label)
        } else {
            format!("    {}", o.label)
        };
        let mut line = if left.len() < INDENT {
            format!("{left:<INDENT$}")
        } else {
            out.push_str(&left);
            out.push('\n');
            " ".repeat(INDENT)
        };
        // Whether `line` already holds a word of the help text.
        let mut has_text = false;
        for word in o.help.split(' ') {
            if has_text && line.len() + 1 + word.len() > WIDTH {
                out.push_str(&line);
                out.push('\n');
                line = " ".repeat(INDENT);
                has_text = false;
            }
            if has_text {
                line.push(' ');
            }
            line.push_str(word);
            has_text = true;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_has_one_entry_and_every_shown_one_a_help_line() {
        for (i, a) in OPTIONS.iter().enumerate() {
            for b in &OPTIONS[i + 1..] {
                assert!(
                    a.long.is_empty() || a.long != b.long,
                    "--{} declared twice",
                    a.long
                );
                assert!(
                    a.short.is_empty() || a.short != b.short,
                    "-{} declared twice",
                    a.short
                );
                assert!(
                    a.env.is_none() || a.env != b.env,
                    "{:?} declared twice",
                    a.env
                );
                assert!(
                    a.config.is_none() || a.config != b.config,
                    "{:?} twice",
                    a.config
                );
            }
            assert_eq!(a.section == Section::Hidden, a.help.is_empty(), "{a:?}");
            if a.section != Section::Hidden && a.section != Section::ConfigOnly {
                let name = if a.long.is_empty() {
                    format!("-{}", a.short)
                } else {
                    format!("--{}", a.long)
                };
                assert!(a.label.contains(&name), "{a:?}");
            }
        }
    }

    #[test]
    fn help_lines_wrap_under_the_text_column() {
        let text = help_lines(Section::Scheduling);
        assert!(
            text.starts_with("        --dist MODE         load (default;"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.len() <= 80), "{text}");
        assert!(
            text.contains("\n    -x, --exitfirst         Same as --maxfail 1"),
            "{text}"
        );
    }

    #[test]
    fn config_keys_come_from_the_table() {
        assert_eq!(
            config_keys(),
            [
                "dist",
                "isolate",
                "heavy_limit",
                "redis_dbs",
                "max_concurrency",
                "pools",
                "timeout",
                "strict_markers",
                "trace",
                "html",
                "markers",
                "quarantine"
            ]
        );
        assert_eq!(env_of("heavy-limit"), Some("PARTEST_HEAVY_LIMIT"));
        assert_eq!(env_of("m"), None);
    }
}
