//! [`Isolation`]: where tests run (`--isolate`), with the one parser the command line, the
//! environment and the config file share.

/// `--isolate`: where tests run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Isolation {
    /// Worker threads in this process (default): fastest, but a crash ends the run.
    #[default]
    Threads,
    /// Persistent worker processes, one test at a time each: exact capture, a crashed or
    /// hung test's worker is replaced and the run goes on (Linux and macOS).
    Process,
}

/// The accepted names, for error messages.
pub(crate) const ISOLATION_NAMES: &str = "threads or process";

impl Isolation {
    /// The mode `name` stands for (`threads`, `process`).
    pub fn parse(name: &str) -> Option<Isolation> {
        match name {
            "threads" => Some(Isolation::Threads),
            "process" => Some(Isolation::Process),
            _ => None,
        }
    }

    /// Whether this platform can run `self`; the reason when it cannot.
    pub(crate) fn check_platform(self) -> Result<(), String> {
        if self == Isolation::Process && !cfg!(any(target_os = "linux", target_os = "macos")) {
            return Err(format!(
                "--isolate process is available on Linux and macOS, not on {} (use --isolate threads)",
                std::env::consts::OS
            ));
        }
        Ok(())
    }
}
