//! The command line: libtest's flags, parsed with libtest's (getopts') rules and error
//! texts into [`Arguments`]. Environment fallbacks (`RUST_TEST_THREADS`,
//! `RUST_TEST_NOCAPTURE`, `RUST_TEST_SHUFFLE[_SEED]`) are applied here too.

pub(crate) mod environment;
mod help;
pub(crate) mod options;
mod scheduling;
mod selection;
mod words;

pub use help::help;

pub use scheduling::SchedulingArgs;
pub use selection::{Partition, ReportArgs, SelectionArgs};

use std::fmt;
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// Which tests run with respect to `ignore`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunIgnored {
    /// Ignored tests are reported as ignored (default).
    #[default]
    No,
    /// `--include-ignored`: ignored tests run like the others.
    Yes,
    /// `--ignored`: only ignored tests run.
    Only,
}

/// `--format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// One line per test (default).
    #[default]
    Pretty,
    /// One character per test (`-q`).
    Terse,
    /// libtest's JSON lines.
    Json,
    /// A JUnit XML document on stdout.
    Junit,
}

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorConfig {
    /// Colour when stdout is a terminal and output is captured (default).
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Every option of a run. Defaults are libtest's; see `--help`.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Arguments {
    /// Positional filters: a test runs when its name contains any of them (or equals, with `exact`).
    pub filters: Vec<String>,
    /// `--exact`: filters and skips match whole names.
    pub exact: bool,
    /// `--skip FILTER` (repeatable).
    pub skip: Vec<String>,
    /// `--ignored` / `--include-ignored`.
    pub run_ignored: RunIgnored,
    /// `--list`.
    pub list: bool,
    /// `--format` / `-q`.
    pub format: Format,
    /// `--nocapture` / `--no-capture` / `RUST_TEST_NOCAPTURE`.
    pub nocapture: bool,
    /// `--show-output`: print passing tests' captured output too.
    pub show_output: bool,
    /// `--color`.
    pub color: ColorConfig,
    /// `--test-threads` / `RUST_TEST_THREADS` (default: available parallelism).
    pub test_threads: Option<NonZeroUsize>,
    /// `--shuffle` / `RUST_TEST_SHUFFLE`.
    pub shuffle: bool,
    /// `--shuffle-seed` / `RUST_TEST_SHUFFLE_SEED` (implies shuffle).
    pub shuffle_seed: Option<u64>,
    /// `--report-time`.
    pub report_time: bool,
    /// `--ensure-time` (accepted; partest's timeouts come from the `timeout` marker).
    pub ensure_time: bool,
    /// `--exclude-should-panic`.
    pub exclude_should_panic: bool,
    /// `--fail-fast`: start no new test after the first failure.
    pub fail_fast: bool,
    /// `--logfile PATH`.
    pub logfile: Option<PathBuf>,
    /// `--bench`: run benchmarks (partest has none, so tests are reported ignored).
    pub bench: bool,
    /// `--test` (the default mode).
    pub test: bool,
    /// `--force-run-in-process` (accepted; partest always runs in process in threads mode).
    pub force_run_in_process: bool,
    /// `-Z unstable-options` (accepted; partest's json needs no nightly).
    pub unstable_options: bool,
    /// partest's scheduling options.
    pub scheduling: SchedulingArgs,
    /// partest's selection options.
    pub selection: SelectionArgs,
    /// partest's extra reports.
    pub reports: ReportArgs,
    /// `--nextest-config`: print the nextest configuration that makes the markers hold.
    pub nextest_config: bool,
    /// `--partest-manifest` (hidden): print the selected tests with their constraints for
    /// `cargo partest`, and exit.
    pub partest_manifest: bool,
}

/// What the command line asked for instead of a run, or why it is invalid.
#[derive(Debug, PartialEq, Eq)]
pub enum CliError {
    /// `-h` / `--help`: print [`help`] and exit 0.
    Help,
    /// An invalid command line; the text is libtest's where libtest has one.
    Invalid(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Help => f.write_str("help requested"),
            CliError::Invalid(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for CliError {}

use options::{Kind, OPTIONS};

/// Options as given: (option index, value) in order, plus free arguments.
struct Matches {
    given: Vec<(usize, Option<String>)>,
    free: Vec<String>,
}

impl Matches {
    fn flag(&self, long: &str) -> bool {
        self.given.iter().any(|(i, _)| OPTIONS[*i].long == long)
    }
    fn value(&self, name: &str) -> Option<&str> {
        let picks = |i: &usize| OPTIONS[*i].long == name || OPTIONS[*i].short == name;
        self.given
            .iter()
            .find(|(i, _)| picks(i))
            .and_then(|(_, v)| v.as_deref())
    }
    fn values(&self, name: &str) -> Vec<String> {
        let picks = |i: &usize| OPTIONS[*i].long == name || OPTIONS[*i].short == name;
        self.given
            .iter()
            .filter(|(i, _)| picks(i))
            .filter_map(|(_, v)| v.clone())
            .collect()
    }
}

fn display_name(index: usize) -> &'static str {
    let option = &OPTIONS[index];
    if option.long.is_empty() {
        option.short
    } else {
        option.long
    }
}

fn tokenize(args: Vec<String>) -> Result<Matches, String> {
    let mut m = Matches {
        given: Vec::new(),
        free: Vec::new(),
    };
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            m.free.extend(iter.by_ref());
            break;
        }
        let (index, inline) = if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let index = OPTIONS
                .iter()
                .position(|o| !o.long.is_empty() && o.long == name);
            (
                index.ok_or_else(|| format!("Unrecognized option: '{name}'"))?,
                inline,
            )
        } else if arg.len() > 1 && arg.starts_with('-') {
            let name = &arg[1..2];
            let rest = &arg[2..];
            let index = OPTIONS.iter().position(|o| o.short == name);
            let index = index.ok_or_else(|| format!("Unrecognized option: '{name}'"))?;
            (index, (!rest.is_empty()).then(|| rest.to_owned()))
        } else {
            m.free.push(arg);
            continue;
        };
        let kind = OPTIONS[index].kind;
        let name = display_name(index);
        let value = match (kind, inline) {
            (Kind::Flag, Some(_)) => {
                return Err(format!("Option '{name}' does not take an argument"))
            }
            (Kind::Flag, None) => None,
            (_, Some(v)) => Some(v),
            (_, None) => Some(
                iter.next()
                    .ok_or_else(|| format!("Argument to option '{name}' missing"))?,
            ),
        };
        if kind != Kind::Multi && m.given.iter().any(|(i, _)| *i == index) {
            return Err(format!("Option '{name}' given more than once"));
        }
        m.given.push((index, value));
    }
    Ok(m)
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Checks the `PARTEST_*` environment (see `cli/environment.rs`): an invalid value is an
/// error; unknown names are warned about on stderr when `warn` (once per run, not in each
/// test process nextest starts).
pub(crate) fn check_environment(warn: bool) -> Result<(), CliError> {
    let vars = std::env::vars_os().map(|(k, v)| {
        (
            k.to_string_lossy().into_owned(),
            v.to_string_lossy().into_owned(),
        )
    });
    let warnings = environment::check_vars(vars).map_err(CliError::Invalid)?;
    if warn {
        warnings.iter().for_each(|w| eprintln!("{w}"));
    }
    Ok(())
}

impl Arguments {
    /// Parses `std::env::args()` (skipping the program name) plus the environment.
    pub fn from_env() -> Result<Self, CliError> {
        Self::from_args(std::env::args().skip(1))
    }

    /// Parses the given arguments (without the program name) plus the environment.
    pub fn from_args<I, S>(args: I) -> Result<Self, CliError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let given: Vec<String> = args.into_iter().map(Into::into).collect();
        let env = std::env::var(words::VAR).ok();
        let given = words::merge(given, env.as_deref()).map_err(CliError::Invalid)?;
        let m = tokenize(given).map_err(CliError::Invalid)?;
        if m.flag("help") {
            return Err(CliError::Help);
        }
        Self::from_matches(m).map_err(CliError::Invalid)
    }

    fn from_matches(m: Matches) -> Result<Self, String> {
        let mut unstable_options = false;
        for z in m.values("Z") {
            if z != "unstable-options" {
                return Err("Unrecognized option to `Z`".to_owned());
            }
            unstable_options = true;
        }
        let nocapture = m.flag("nocapture")
            || m.flag("no-capture")
            || option_env("no-capture").is_some_and(|v| v != "0");
        Ok(Arguments {
            filters: m.free.clone(),
            exact: m.flag("exact"),
            skip: m.values("skip"),
            run_ignored: run_ignored(&m)?,
            list: m.flag("list"),
            format: format(&m)?,
            nocapture,
            show_output: m.flag("show-output"),
            color: color(&m)?,
            test_threads: test_threads(&m)?,
            shuffle: m.flag("shuffle") || option_env("shuffle").is_some_and(|v| v != "0"),
            shuffle_seed: shuffle_seed(&m)?,
            report_time: m.flag("report-time"),
            ensure_time: m.flag("ensure-time"),
            exclude_should_panic: m.flag("exclude-should-panic"),
            fail_fast: m.flag("fail-fast"),
            logfile: m.value("logfile").map(PathBuf::from),
            bench: m.flag("bench"),
            test: m.flag("test"),
            force_run_in_process: m.flag("force-run-in-process"),
            unstable_options,
            scheduling: SchedulingArgs::from_matches(&m)?,
            selection: SelectionArgs::from_matches(&m)?,
            reports: ReportArgs::from_matches(&m)?,
            nextest_config: m.flag("nextest-config"),
            partest_manifest: m.flag("partest-manifest"),
        })
    }
}

/// The value of the environment variable the settings table gives option `name`.
fn option_env(name: &str) -> Option<String> {
    options::env_of(name).and_then(env_var)
}

fn run_ignored(m: &Matches) -> Result<RunIgnored, String> {
    match (m.flag("include-ignored"), m.flag("ignored")) {
        (true, true) => {
            Err("the options --include-ignored and --ignored are mutually exclusive".into())
        }
        (true, false) => Ok(RunIgnored::Yes),
        (false, true) => Ok(RunIgnored::Only),
        (false, false) => Ok(RunIgnored::No),
    }
}

fn format(m: &Matches) -> Result<Format, String> {
    match m.value("format") {
        None if m.flag("quiet") => Ok(Format::Terse),
        None | Some("pretty") => Ok(Format::Pretty),
        Some("terse") => Ok(Format::Terse),
        Some("json") => Ok(Format::Json),
        Some("junit") => Ok(Format::Junit),
        Some(other) => Err(format!(
            "argument for --format must be pretty, terse, json or junit (was {other})"
        )),
    }
}

fn color(m: &Matches) -> Result<ColorConfig, String> {
    match m.value("color") {
        None | Some("auto") => Ok(ColorConfig::Auto),
        Some("always") => Ok(ColorConfig::Always),
        Some("never") => Ok(ColorConfig::Never),
        Some(other) => Err(format!(
            "argument for --color must be auto, always, or never (was {other})"
        )),
    }
}

/// `--test-threads`, else partest's worker variables, else `RUST_TEST_THREADS`.
fn test_threads(m: &Matches) -> Result<Option<NonZeroUsize>, String> {
    match (m.value("test-threads"), selection::env_workers()?) {
        (Some(text), _) => Ok(Some(parse_threads(text, "argument for --test-threads")?)),
        (None, Some(workers)) => Ok(workers),
        (None, None) => match option_env("test-threads") {
            Some(text) => Ok(Some(text.parse::<NonZeroUsize>().map_err(|_| {
                format!("RUST_TEST_THREADS is `{text}`, should be a positive integer.")
            })?)),
            None => Ok(None),
        },
    }
}

fn shuffle_seed(m: &Matches) -> Result<Option<u64>, String> {
    match m.value("shuffle-seed") {
        Some(text) => Ok(Some(parse_seed(text, "argument for --shuffle-seed")?)),
        None => match option_env("shuffle-seed") {
            Some(text) => Ok(Some(parse_seed(&text, "RUST_TEST_SHUFFLE_SEED")?)),
            None => Ok(None),
        },
    }
}

fn parse_threads(text: &str, what: &str) -> Result<NonZeroUsize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err(format!("{what} must not be 0")),
        Ok(n) => Ok(NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)),
        Err(e) => Err(format!("{what} must be a number > 0 (error: {e})")),
    }
}

fn parse_seed(text: &str, what: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .map_err(|e| format!("{what} must be a number (error: {e})"))
}

#[cfg(test)]
mod tests;
