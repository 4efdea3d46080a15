//! A PostgreSQL cluster's data directory: made once per install with `initdb` and kept
//! in a cache ([`cached_cluster`]), copied for each server, owned by the user PostgreSQL
//! runs as ([`run_as`]: it refuses root).

use super::process;
use super::ServiceError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether the cluster in `data` accepts connections: PostgreSQL writes `ready` as the
/// status line (the 8th) of `postmaster.pid`.
pub(super) fn ready(data: &Path) -> bool {
    std::fs::read_to_string(data.join("postmaster.pid"))
        .is_ok_and(|text| text.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
}

/// The user and group PostgreSQL runs as: `None` (ourselves) unless we are root, which
/// PostgreSQL refuses; then `$PARTEST_POSTGRES_USER`, else `postgres`, else `nobody`.
pub(super) fn run_as() -> Result<Option<(u32, u32)>, ServiceError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let asked = std::env::var("PARTEST_POSTGRES_USER")
        .ok()
        .filter(|u| !u.is_empty());
    let names = match &asked {
        Some(user) => vec![user.clone()],
        None => vec!["postgres".to_owned(), "nobody".to_owned()],
    };
    for name in &names {
        let Ok(c_name) = std::ffi::CString::new(name.as_str()) else {
            continue;
        };
        // SAFETY: getpwnam reads the user database; the record is copied out at once.
        let entry = unsafe { libc::getpwnam(c_name.as_ptr()) };
        if !entry.is_null() {
            // SAFETY: non-null records returned by getpwnam are valid until the next call.
            let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
            if uid != 0 {
                return Ok(Some((uid, gid)));
            }
        }
    }
    Err(ServiceError::NoUser {
        user: names.join(" or "),
    })
}

pub(super) fn as_user(cmd: &mut Command, owner: Option<(u32, u32)>) {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
}

/// Makes `path` (recursively) belong to `owner`, and its top 0700 as PostgreSQL requires.
pub(super) fn give_to(path: &Path, owner: Option<(u32, u32)>) -> Result<(), ServiceError> {
    use std::os::unix::fs::PermissionsExt;
    let err = |source| ServiceError::DataDir {
        path: path.to_owned(),
        source,
    };
    if let Some((uid, gid)) = owner {
        chown_tree(path, uid, gid).map_err(err)?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(err)
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if path.symlink_metadata()?.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// Copies the directory tree `from` to `to` (files, directories, their modes).
pub(super) fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The cache dir: `$PARTEST_SERVICES_CACHE`, else `<target>/partest/services`, else the
/// temp dir.
fn cache_dir() -> PathBuf {
    std::env::var_os("PARTEST_SERVICES_CACHE")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| crate::history::target_dir().map(|t| t.join("partest").join("services")))
        .unwrap_or_else(|| std::env::temp_dir().join("partest-services"))
}

/// `initdb`'s version ("initdb (PostgreSQL) 15.18 (Debian …)" gives `15.18`).
fn version(bin: &Path) -> String {
    let text = Command::new(bin.join("initdb"))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    text.split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or("unknown")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect()
}

/// Runs `initdb` into `data` (an empty directory), as `owner`.
fn initdb(bin: &Path, data: &Path, owner: Option<(u32, u32)>) -> Result<(), ServiceError> {
    let mut cmd = Command::new(bin.join("initdb"));
    cmd.arg("-D").arg(data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        // 1 MB WAL segments instead of 16: a smaller cluster to copy at every start.
        "--wal-segsize=1",
    ]);
    as_user(&mut cmd, owner);
    let out = cmd.output().map_err(|source| ServiceError::Io {
        doing: format!("running {}", bin.join("initdb").display()),
        source,
    })?;
    if out.status.success() {
        return Ok(());
    }
    Err(ServiceError::Start {
        program: "initdb".into(),
        reason: out.status.to_string(),
        log: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// An `initdb`-made cluster for this install, made once and kept in the cache dir.
pub(super) fn cached_cluster(
    bin: &Path,
    owner: Option<(u32, u32)>,
) -> Result<PathBuf, ServiceError> {
    let cache = cache_dir();
    let cached = cache.join(format!("postgres-{}-initdb-wal1", version(bin)));
    if cached.join("PG_VERSION").is_file() {
        return Ok(cached);
    }
    let fresh = process::data_dir("initdb")?;
    let data = fresh.path().join("data");
    std::fs::create_dir(&data).map_err(|source| ServiceError::DataDir {
        path: data.clone(),
        source,
    })?;
    give_to(&data, owner)?;
    initdb(bin, &data, owner)?;
    // Copy next to the cache entry, then rename: a concurrent run sees all of it or none.
    let io = |source| ServiceError::DataDir {
        path: cached.clone(),
        source,
    };
    std::fs::create_dir_all(&cache).map_err(io)?;
    let staging = tempfile::Builder::new()
        .prefix(".initdb-")
        .tempdir_in(&cache)
        .map_err(io)?;
    let staged = staging.path().join("data");
    copy_tree(&data, &staged).map_err(io)?;
    if std::fs::rename(&staged, &cached).is_err() && !cached.join("PG_VERSION").is_file() {
        return Err(io(std::io::Error::other(
            "could not move the cluster into place",
        )));
    }
    Ok(cached)
}
