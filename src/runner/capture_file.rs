//! The anonymous files output is captured into at the fd level: one test at a time
//! (`--test-threads 1`), a worker process's stdout and stderr, a plain binary run whole.
//! The kernel writes into them directly, so the cap is kept from outside: a keeper thread
//! looks at every live capture file every few milliseconds and, once the output of the
//! test being captured passes [`KEEP_AT_MOST`], punches its middle out of the file (the
//! file keeps its length; the bytes are freed). A test printing gigabytes then holds about
//! the cap in memory or on disk, and its block shows the first and last halves with a note
//! of how many bytes were left out between them.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::Duration;

/// Captured output kept per test: its first and last halves beyond this.
pub(crate) const KEEP_AT_MOST: u64 = 8 << 20;

/// How often the keeper looks at the files' sizes.
const LOOK_EVERY: Duration = Duration::from_millis(4);

/// The least the keeper frees at once (fewer, larger punches).
const FREE_AT_LEAST: u64 = 1 << 20;

/// The note that stands for the `left_out` bytes cut from the middle of huge output.
pub(crate) fn left_out_note(left_out: u64) -> String {
    format!("\n[partest: {left_out} bytes of output left out]\n")
}

/// A capture file, watched by the keeper for as long as it lives.
#[derive(Debug)]
pub(crate) struct CaptureFile {
    shared: Arc<Watched>,
}

#[derive(Debug)]
struct Watched {
    file: File,
    region: Mutex<Region>,
}

/// Where the current test's output starts, and up to where its middle is freed already.
#[derive(Debug, Default)]
struct Region {
    from: u64,
    freed_to: u64,
}

impl CaptureFile {
    /// A fresh anonymous file: in memory (`/dev/shm`) where there is one — writes there
    /// cost about half of a disk-backed temp file's — else in the temp dir.
    pub(crate) fn new() -> io::Result<Self> {
        let shm = std::path::Path::new("/dev/shm");
        let file = match shm.is_dir() {
            true => tempfile::tempfile_in(shm).or_else(|_| tempfile::tempfile()),
            false => tempfile::tempfile(),
        }?;
        let shared = Arc::new(Watched {
            file,
            region: Mutex::new(Region::default()),
        });
        keeper().watch(&shared);
        Ok(CaptureFile { shared })
    }

    /// The file, to hand to a child process or to point fds 1 and 2 at.
    pub(crate) fn file(&self) -> &File {
        &self.shared.file
    }

    /// What was written since the last take (its first and last halves beyond
    /// [`KEEP_AT_MOST`]); the next take starts where this one ends.
    pub(crate) fn take(&self) -> io::Result<Vec<u8>> {
        let mut region = self.shared.region.lock().unwrap_or_else(|e| e.into_inner());
        let size = self.shared.file.metadata()?.len();
        let out = kept_output(&self.shared.file, region.from, size)?;
        *region = Region {
            from: size,
            freed_to: size,
        };
        Ok(out)
    }

    /// Empties the file; only while nothing writes to it (between tests).
    pub(crate) fn empty(&self) -> io::Result<()> {
        let mut region = self.shared.region.lock().unwrap_or_else(|e| e.into_inner());
        self.shared.file.set_len(0)?;
        (&self.shared.file).seek(SeekFrom::Start(0))?;
        *region = Region::default();
        Ok(())
    }
}

/// Bytes `from..to` of `file` (read without moving its offset), with the middle left out
/// beyond [`KEEP_AT_MOST`].
fn kept_output(file: &File, from: u64, to: u64) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let read = |at: u64, len: u64| -> io::Result<Vec<u8>> {
        let mut buf = vec![0; len as usize];
        file.read_exact_at(&mut buf, at)?;
        Ok(buf)
    };
    let size = to.saturating_sub(from);
    if size <= KEEP_AT_MOST {
        return read(from, size);
    }
    let half = KEEP_AT_MOST / 2;
    let note = left_out_note(size - 2 * half);
    Ok([read(from, half)?, note.into_bytes(), read(to - half, half)?].concat())
}

impl Watched {
    /// Frees the middle of the current test's output past the cap: everything between its
    /// first half and the last half written so far, in whole pages.
    fn free_middle(&self) {
        const PAGE: u64 = 4096;
        let mut region = self.region.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(size) = self.file.metadata().map(|m| m.len()) else {
            return;
        };
        let half = KEEP_AT_MOST / 2;
        let start = (region.from + half)
            .next_multiple_of(PAGE)
            .max(region.freed_to);
        let end = size.saturating_sub(half) / PAGE * PAGE;
        if end >= start + FREE_AT_LEAST && punch_hole(&self.file, start, end - start) {
            region.freed_to = end;
        }
    }
}

/// Frees `len` bytes of `file` from `at`, its length unchanged; false where the file
/// system cannot (the output then stays whole until the test ends).
#[cfg(target_os = "linux")]
fn punch_hole(file: &File, at: u64, len: u64) -> bool {
    use std::os::fd::AsRawFd;
    let mode = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
    // SAFETY: fallocate on a descriptor this struct owns; no memory is passed.
    unsafe { libc::fallocate(file.as_raw_fd(), mode, at as i64, len as i64) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn punch_hole(_: &File, _: u64, _: u64) -> bool {
    false
}

/// The keeper: the live capture files, looked at by one thread while there are any.
struct Keeper {
    files: Mutex<Vec<Weak<Watched>>>,
    some: Condvar,
}

fn keeper() -> &'static Keeper {
    static KEEPER: OnceLock<Keeper> = OnceLock::new();
    static STARTED: std::sync::Once = std::sync::Once::new();
    let the_keeper = KEEPER.get_or_init(|| Keeper {
        files: Mutex::new(Vec::new()),
        some: Condvar::new(),
    });
    STARTED.call_once(|| {
        // Without the thread, files are not trimmed while written; the cap still holds
        // for what the report keeps.
        let _ = std::thread::Builder::new()
            .name("partest-capture-keeper".into())
            .spawn(|| keeper().keep());
    });
    the_keeper
}

impl Keeper {
    fn watch(&self, file: &Arc<Watched>) {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.push(Arc::downgrade(file));
        self.some.notify_one();
    }

    fn keep(&self) {
        loop {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            while files.is_empty() {
                files = self.some.wait(files).unwrap_or_else(|e| e.into_inner());
            }
            files.retain(|file| match file.upgrade() {
                Some(file) => {
                    file.free_middle();
                    true
                }
                None => false,
            });
            drop(files);
            std::thread::sleep(LOOK_EVERY);
        }
    }
}
