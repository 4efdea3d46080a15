//! One set of servers for a whole `cargo nextest run` (a process per test would otherwise
//! start a server per test): `partest-services nextest-setup`, run as a nextest setup
//! script, starts a daemon that starts Redis and PostgreSQL, exports `PARTEST_REDIS_URL`
//! and `PARTEST_POSTGRES_URL` through the file `NEXTEST_ENV` names, and stops them (data
//! removed) once the nextest process is gone. [`main`] is the command's whole body.

use super::{Postgres, Redis, ServiceError};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

const USAGE: &str = "usage: partest-services nextest-setup [--redis] [--postgres]
  Run as a nextest setup script: starts redis-server and PostgreSQL (both unless one is
  named) for the whole run, exports PARTEST_REDIS_URL / PARTEST_POSTGRES_URL through
  $NEXTEST_ENV, and stops them when the nextest run ends.";

/// The `partest-services` command: `nextest-setup [--redis] [--postgres]`.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("", &[][..]),
    };
    let mut redis = rest.iter().any(|a| a == "--redis");
    let mut postgres = rest.iter().any(|a| a == "--postgres");
    if let Some(bad) = rest
        .iter()
        .find(|a| !matches!(a.as_str(), "--redis" | "--postgres" | "--serve"))
    {
        eprintln!("partest-services: unknown option {bad}\n{USAGE}");
        return ExitCode::from(2);
    }
    if !redis && !postgres {
        (redis, postgres) = (true, true);
    }
    match command {
        "nextest-setup" if rest.iter().any(|a| a == "--serve") => serve(redis, postgres),
        "nextest-setup" => setup(rest),
        "-h" | "--help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The setup script: starts the daemon in a session of its own (nextest does not wait
/// for it, nor kill it with the script) and waits for its `ready` line.
fn setup(rest: &[String]) -> ExitCode {
    if std::env::var_os("NEXTEST_ENV").is_none() {
        eprintln!("partest-services: NEXTEST_ENV is not set: run this as a nextest setup script");
        return ExitCode::from(2);
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("partest-services: cannot find its own executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    // SAFETY: getppid has no preconditions; our parent is the nextest process.
    let nextest = unsafe { libc::getppid() };
    let mut cmd = Command::new(exe);
    cmd.arg("nextest-setup")
        .args(rest)
        .arg("--serve")
        .env("PARTEST_SERVICES_WATCH_PID", nextest.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("partest-services: cannot start the services daemon: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    match line.trim_end().strip_prefix("ready ") {
        Some(urls) => {
            eprintln!("partest-services: {urls} for this nextest run");
            ExitCode::SUCCESS
        }
        None => {
            let _ = child.wait();
            eprintln!("partest-services: {}", line.trim_end());
            ExitCode::FAILURE
        }
    }
}

/// The daemon: starts the servers, exports their URLs, says `ready`, and keeps them until
/// the watched process (nextest) is gone.
fn serve(redis: bool, postgres: bool) -> ExitCode {
    let watched: Option<i32> = std::env::var("PARTEST_SERVICES_WATCH_PID")
        .ok()
        .and_then(|p| p.parse().ok());
    let started: Result<(Option<Redis>, Option<Postgres>), ServiceError> = (|| {
        let r = if redis { Some(Redis::start()?) } else { None };
        let p = if postgres {
            Some(Postgres::start()?)
        } else {
            None
        };
        Ok((r, p))
    })();
    let (redis, postgres) = match started {
        Ok(servers) => servers,
        Err(e) => {
            println!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut exports = String::new();
    if let Some(r) = &redis {
        let _ = writeln!(exports, "PARTEST_REDIS_URL={}", r.url());
    }
    if let Some(p) = &postgres {
        let _ = writeln!(exports, "PARTEST_POSTGRES_URL={}", p.url());
    }
    let env_file = std::env::var_os("NEXTEST_ENV").unwrap_or_default();
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&env_file)
        .and_then(|mut f| f.write_all(exports.as_bytes()));
    if let Err(e) = written {
        println!(
            "error: cannot write NEXTEST_ENV ({}): {e}",
            env_file.to_string_lossy()
        );
        return ExitCode::FAILURE;
    }
    println!("ready {}", exports.trim_end().replace('\n', ", "));
    let _ = std::io::stdout().flush();
    // SAFETY: replacing fd 1 with /dev/null, so nextest's pipe closes.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if null >= 0 {
            libc::dup2(null, 1);
            libc::close(null);
        }
    }
    while watched.is_some_and(alive) {
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(postgres);
    drop(redis);
    ExitCode::SUCCESS
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}
