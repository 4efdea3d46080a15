//! [`Dist`]: how tests are spread over workers (pytest-xdist's `--dist` modes), with the
//! one parser the command line, the environment and the config file share.

/// `--dist`: how tests are spread over workers (pytest-xdist's modes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dist {
    /// A dynamic queue: a free worker takes the next test (default). `worksteal` and
    /// `loadgroup` are the same algorithm here (groups always hold).
    #[default]
    Load,
    /// Tests of one module run on one worker.
    LoadScope,
    /// Tests of one source file run on one worker.
    LoadFile,
    /// No workers: tests run one at a time (`worker_id()` is `master`).
    No,
}

/// The accepted names, for error messages.
pub(crate) const DIST_NAMES: &str = "load, loadscope, loadfile, loadgroup, worksteal or no";

impl Dist {
    /// The mode `name` stands for (`load`, `worksteal`, `loadgroup`, `loadscope`,
    /// `loadfile`, `no`).
    pub fn parse(name: &str) -> Option<Dist> {
        match name {
            "load" | "worksteal" | "loadgroup" => Some(Dist::Load),
            "loadscope" => Some(Dist::LoadScope),
            "loadfile" => Some(Dist::LoadFile),
            "no" => Some(Dist::No),
            _ => None,
        }
    }
}
