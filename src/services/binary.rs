//! Finding server programs: on `PATH`, then where the usual packages put them
//! (`/usr/lib/postgresql/<version>/bin` on Debian/Ubuntu, Homebrew's `opt` prefixes).

use std::path::{Path, PathBuf};

/// `program` in `dir`, if it is there and executable.
fn in_dir(dir: &Path, program: &str) -> Option<PathBuf> {
    let candidate = dir.join(program);
    is_executable(&candidate).then_some(candidate)
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// `program` on `PATH`.
pub(crate) fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| in_dir(&dir, program))
}

/// Directories holding versioned installs, highest version first: the `bin` dirs of
/// `/usr/lib/postgresql/15`, `/opt/homebrew/opt/postgresql@16`, ….
fn versioned_dirs(parent: &str, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let rest = name.strip_prefix(prefix)?;
            let version = rest.trim_start_matches('@').split('.').next()?;
            let version = if version.is_empty() {
                0
            } else {
                version.parse().ok()?
            };
            Some((version, e.path().join("bin")))
        })
        .collect();
    found.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    found.into_iter().map(|(_, dir)| dir).collect()
}

/// The directory of a PostgreSQL install that has `postgres` and `initdb`:
/// `$PARTEST_POSTGRES_BIN`, else the one on `PATH`, else the newest packaged one.
pub(crate) fn postgres_dir() -> Option<PathBuf> {
    let complete =
        |dir: &Path| in_dir(dir, "postgres").is_some() && in_dir(dir, "initdb").is_some();
    if let Some(dir) = std::env::var_os("PARTEST_POSTGRES_BIN").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return complete(&dir).then_some(dir);
    }
    if let Some(found) = on_path("postgres") {
        // Follow a symlink (e.g. /usr/local/bin/postgres) to the install it belongs to.
        let real = std::fs::canonicalize(&found).unwrap_or(found);
        if let Some(dir) = real.parent().filter(|d| complete(d)) {
            return Some(dir.to_owned());
        }
    }
    let mut dirs = versioned_dirs("/usr/lib/postgresql", "");
    for parent in ["/opt/homebrew/opt", "/usr/local/opt"] {
        dirs.extend(versioned_dirs(parent, "postgresql"));
    }
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    dirs.into_iter().find(|d| complete(d))
}

/// `program` from the PostgreSQL install in `dir`, else from `PATH`.
pub(crate) fn postgres_tool(dir: Option<&Path>, program: &str) -> Option<PathBuf> {
    dir.and_then(|d| in_dir(d, program))
        .or_else(|| on_path(program))
        .or_else(|| postgres_dir().and_then(|d| in_dir(&d, program)))
}
