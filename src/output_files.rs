//! The files partest writes (`--junit`, `--logfile`, the history), written to what their
//! path is. A regular file (or a new one) is replaced whole through a temporary file
//! beside it — beside a symlink's target, so the link stays a link. A FIFO, a character
//! device or `/dev/stdout` is written through, never replaced; a FIFO no process reads is
//! an error rather than a hang. A directory is an error.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How many symlinks are followed before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Writes `bytes` as the whole content of `path` (see the module's notes).
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(is_a_directory(path)),
        Ok(meta) if !meta.is_file() => open_special(path)?.write_all(bytes),
        _ => replace(&real_path(path)?, bytes),
    }
}

/// Opens `path` to write into as a run goes (`--logfile`): a regular file is truncated (a
/// symlink's target, the link kept); a FIFO or device is written through.
pub(crate) fn open_in_place(path: &Path) -> io::Result<File> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(is_a_directory(path)),
        Ok(meta) if !meta.is_file() => open_special(path),
        _ => File::create(path),
    }
}

/// Whether `path` can be written at the end of the run: not a directory, and its
/// directory exists. Checked before a run, so a typo costs no run.
pub(crate) fn check_writable(path: &Path) -> io::Result<()> {
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(is_a_directory(path));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    match parent {
        Some(dir) if !dir.is_dir() => Err(io::Error::other(format!(
            "{} is not a directory",
            dir.display()
        ))),
        _ => Ok(()),
    }
}

/// Creates the directory `path` goes in, for a path a config file names (usually under
/// `target/`, which a fresh checkout lacks). A failure is left to [`check_writable`].
pub(crate) fn create_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = fs::create_dir_all(dir);
    }
}

fn is_a_directory(path: &Path) -> io::Error {
    io::Error::other(format!("{} is a directory", path.display()))
}

/// Replaces regular file `path` (not a symlink) through a temporary file beside it; the
/// temporary file is removed when anything fails.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".tmp.{}", std::process::id()));
    let tmp = path.with_file_name(name);
    // No fsync: a torn history after a power cut is read back as corrupt, which only costs
    // the ordering of one run.
    let written = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// `path` with every symlink along its last component followed (a dangling link's target
/// too, so the file is created where the link points).
fn real_path(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let is_link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return Ok(path);
        }
        let target = fs::read_link(&path)?;
        path = match path.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
    }
    Err(io::Error::other(format!(
        "{}: more than {MAX_LINKS} symlinks",
        path.display()
    )))
}

/// Opens a FIFO or device for writing. A FIFO is opened without blocking first, so one
/// with no reader is a clear error instead of a hang.
#[cfg(unix)]
fn open_special(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let file = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ENXIO) => io::Error::other(format!(
                "{} is a FIFO that no process reads; start its reader first",
                path.display()
            )),
            _ => e,
        })?;
    // SAFETY: fcntl on a descriptor this function owns, changing only its status flags.
    let cleared = unsafe {
        let flags = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
        flags >= 0 && libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK) == 0
    };
    match cleared {
        true => Ok(file),
        false => Err(io::Error::last_os_error()),
    }
}

#[cfg(not(unix))]
fn open_special(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn a_symlink_stays_a_link_and_its_target_gets_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("reports/junit.xml");
        fs::create_dir(dir.path().join("reports")).unwrap();
        fs::write(&target, "old").unwrap();
        let link = dir.path().join("junit.xml");
        std::os::unix::fs::symlink("reports/junit.xml", &link).unwrap();
        write_whole(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("made.xml", &dangling).unwrap();
        write_whole(&dangling, b"made").unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("made.xml")).unwrap(),
            "made"
        );
        let names: Vec<_> = fs::read_dir(dir.path().join("reports")).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }

    #[test]
    fn a_fifo_without_a_reader_is_an_error_and_a_directory_too() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = write_whole(&fifo, b"x").unwrap_err();
        assert!(e.to_string().contains("no process reads"), "{e}");
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        let e = write_whole(dir.path(), b"x").unwrap_err();
        assert!(e.to_string().ends_with("is a directory"), "{e}");
    }
}
