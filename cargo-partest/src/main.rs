//! `cargo partest [cargo test's package, target and feature options] [-- harness options]`:
//! builds the test targets like `cargo test --no-run`, then runs every test of every
//! binary under one partest scheduler and one budget of `--test-threads` workers, with
//! the constraints run-wide. Reports come per binary, like `cargo test`'s.

#[cfg(unix)]
use partest::__workspace::{doctests, run, Binary};
use std::ffi::OsString;

mod migrate;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

const USAGE: &str = "\
Run every test binary of the workspace under one partest scheduler and worker budget.

Usage: cargo partest [CARGO OPTIONS] [-- HARNESS OPTIONS]
       cargo partest migrate [--check | --diff]   (rewrite a libtest suite: see migrate --help)

CARGO OPTIONS are `cargo test`'s for choosing what to build: -p/--package, --workspace,
--exclude, --lib, --bins, --bin, --tests, --test, --examples, --example, --benches,
--bench, --all-targets, -F/--features, --all-features, --no-default-features, --release,
--profile, --target, --target-dir, --manifest-path, --locked, --offline, -v, -q, ...
HARNESS OPTIONS are partest's (see `cargo test -- --help` in a partest package):
--test-threads N, filters, -m EXPR, -x, --format, --junit PATH (one file per binary), ...

Every partest binary's tests join one plan: `serial` keeps every other test of the run
away, pools and Redis leases are unique across binaries, the heavy limit and marker caps
count all binaries. Tests run in worker processes of their own binary. Plain libtest
binaries run whole, one worker each. The doctests run last, as under cargo test (not
with a target option such as --test or --lib): --no-doc leaves them out.
";

/// The order cargo test runs targets in: unit tests of the library, of binaries, then
/// integration tests, examples, benches.
fn kind_rank(kind: &str) -> u8 {
    match kind {
        "lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro" => 0,
        "bin" => 1,
        "test" => 2,
        "example" => 3,
        _ => 4,
    }
}

/// A built test executable, from one of cargo's `compiler-artifact` messages.
struct Artifact {
    package: String,
    version: String,
    kind: String,
    target: String,
    src: PathBuf,
    manifest_dir: PathBuf,
    executable: PathBuf,
}

/// The version in a package id: `path+file:///p#name@1.2.3`, `…/name#1.2.3` or the old
/// `name 1.2.3 (path+file:///p)`.
fn version_of(id: &str) -> String {
    if let Some((_, rest)) = id.split_once(' ') {
        return rest.split(' ').next().unwrap_or_default().to_owned();
    }
    let tail = id.rsplit('#').next().unwrap_or_default();
    tail.rsplit('@').next().unwrap_or(tail).to_owned()
}

fn artifact(message: &serde_json::Value) -> Option<Artifact> {
    if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
        return None;
    }
    let executable = PathBuf::from(message["executable"].as_str()?);
    let target = &message["target"];
    let manifest = PathBuf::from(message["manifest_path"].as_str()?);
    let id = message["package_id"].as_str().unwrap_or_default();
    let package = id_name(id).unwrap_or_else(|| {
        manifest
            .parent()
            .and_then(Path::file_name)
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    });
    Some(Artifact {
        package,
        version: version_of(id),
        kind: target["kind"][0].as_str().unwrap_or("test").to_owned(),
        target: target["name"].as_str()?.to_owned(),
        src: PathBuf::from(target["src_path"].as_str().unwrap_or_default()),
        manifest_dir: manifest.parent()?.to_owned(),
        executable,
    })
}

/// The package name in a package id, where it says.
fn id_name(id: &str) -> Option<String> {
    if let Some((name, _)) = id.split_once(' ') {
        return Some(name.to_owned());
    }
    let (path, tail) = id.rsplit_once('#')?;
    match tail.split_once('@') {
        Some((name, _)) => Some(name.to_owned()),
        None => Some(path.rsplit('/').next()?.to_owned()),
    }
}

/// `tests/api.rs (target/debug/deps/api-1f2e)`, as cargo test names a binary.
fn label(a: &Artifact, cwd: &Path) -> String {
    let src = a.src.strip_prefix(&a.manifest_dir).unwrap_or(&a.src);
    let exe = a.executable.strip_prefix(cwd).unwrap_or(&a.executable);
    let unit = if kind_rank(&a.kind) <= 1 {
        "unittests "
    } else {
        ""
    };
    format!("{unit}{} ({})", src.display(), exe.display())
}

/// The variables cargo test sets for a test binary it runs.
fn env_for(a: &Artifact, target_dir: Option<&Path>) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("CARGO_MANIFEST_DIR".into(), a.manifest_dir.clone().into()),
        ("CARGO_PKG_NAME".into(), a.package.clone().into()),
        ("CARGO_PKG_VERSION".into(), a.version.clone().into()),
        ("CARGO_CRATE_NAME".into(), a.target.replace('-', "_").into()),
    ];
    if let Ok(cargo) = std::env::var("CARGO") {
        env.push(("CARGO".into(), cargo.into()));
    }
    if let (Some(dir), true) = (target_dir, a.kind == "test" || a.kind == "bench") {
        env.push(("CARGO_TARGET_TMPDIR".into(), dir.join("tmp").into()));
    }
    env
}

/// The target dir of `executable` (`<target>/debug/deps/x`).
fn target_dir_of(executable: &Path) -> Option<&Path> {
    let deps = executable
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "deps"))?;
    deps.parent()?.parent()
}

/// Builds the test targets `cargo_args` choose; the binaries in cargo test's order.
#[cfg(unix)]
fn build(cargo_args: &[String]) -> Result<Vec<Binary>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(&cargo)
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .args(cargo_args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run {cargo}: {e}"))?;
    if !out.status.success() {
        return Err("the test targets did not build".to_owned());
    }
    let mut artifacts: Vec<Artifact> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|m| artifact(&m))
        .collect();
    artifacts.sort_by(|a, b| {
        (&a.package, kind_rank(&a.kind), &a.target).cmp(&(
            &b.package,
            kind_rank(&b.kind),
            &b.target,
        ))
    });
    artifacts.dedup_by(|a, b| a.executable == b.executable);
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    Ok(artifacts
        .iter()
        .map(|a| Binary {
            label: label(a, &cwd),
            path: a.executable.clone(),
            dir: a.manifest_dir.clone(),
            env: env_for(a, target_dir_of(&a.executable)),
        })
        .collect())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // As a cargo subcommand it is called `cargo-partest partest …`.
    if args.first().is_some_and(|a| a == "partest") {
        args.remove(0);
    }
    if args.first().is_some_and(|a| a == "migrate") {
        return migrate::run(&args[1..]);
    }
    let (mut cargo_args, harness) = match args.iter().position(|a| a == "--") {
        Some(i) => (args[..i].to_vec(), args[i + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let before = cargo_args.len();
    cargo_args.retain(|a| a != "--no-doc");
    let doc = cargo_args.len() == before;
    if cargo_args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    #[cfg(not(unix))]
    {
        eprintln!(
            "error: cargo partest runs test binaries in worker processes, available on Linux and macOS, not on {}",
            std::env::consts::OS
        );
        ExitCode::from(101)
    }
    #[cfg(unix)]
    match build(&cargo_args) {
        Ok(binaries) if binaries.is_empty() => {
            eprintln!("error: no test targets were built (check the package and target options)");
            ExitCode::from(101)
        }
        Ok(binaries) => {
            let passed = run(&binaries, &harness);
            // As cargo test does: the doctests after the binaries, whatever those did.
            let docs_passed = !doc || doctests(&cargo_args, &harness);
            match passed && docs_passed {
                true => ExitCode::SUCCESS,
                false => ExitCode::from(101),
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(101)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_ids_of_every_cargo_give_name_and_version() {
        for (id, name, version) in [
            ("path+file:///w/app#0.1.0", "app", "0.1.0"),
            ("path+file:///w/crates/x#my-app@0.2.0", "my-app", "0.2.0"),
            (
                "registry+https://example.invalid/index#serde@1.0.1",
                "serde",
                "1.0.1",
            ),
            ("app 0.3.0 (path+file:///w/app)", "app", "0.3.0"),
        ] {
            assert_eq!(id_name(id).as_deref(), Some(name), "{id}");
            assert_eq!(version_of(id), version, "{id}");
        }
    }

    #[test]
    fn binaries_are_named_like_cargo_test_names_them() {
        let a = Artifact {
            package: "app".into(),
            version: "0.1.0".into(),
            kind: "lib".into(),
            target: "app".into(),
            src: "/w/app/src/lib.rs".into(),
            manifest_dir: "/w/app".into(),
            executable: "/w/target/debug/deps/app-1f2e".into(),
        };
        assert_eq!(
            label(&a, Path::new("/w")),
            "unittests src/lib.rs (target/debug/deps/app-1f2e)"
        );
        let t = Artifact {
            kind: "test".into(),
            src: "/w/app/tests/api.rs".into(),
            ..a
        };
        assert_eq!(
            label(&t, Path::new("/w")),
            "tests/api.rs (target/debug/deps/app-1f2e)"
        );
        assert_eq!(target_dir_of(&t.executable), Some(Path::new("/w/target")));
    }
}
