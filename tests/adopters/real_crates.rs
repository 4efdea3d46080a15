//! `cargo partest migrate` on published crates, fetched from the crate registry at exact
//! versions with their lockfiles pinned (`tests/fixtures/real`): semver 1.0.28 (integration
//! tests), tokio-stream 0.1.19 (`#[tokio::test]`, `start_paused`, `time::pause`),
//! typed-path 0.12.4 (hundreds of unit tests in `src/`) and base64 0.22.1 (rstest cases
//! through rstest_reuse templates, unit tests in `src/`). Before and after the migration,
//! at 1 and 4 threads: the same test list and the same outcomes; `--check` fails before
//! and passes after; a second migration changes nothing.

use crate::common::{copy_dir, fixtures_target};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// (crate, version, cargo test options).
const CRATES: [(&str, &str, &[&str]); 4] = [
    ("semver", "1.0.28", &[]),
    ("tokio-stream", "0.1.19", &["--all-features"]),
    ("typed-path", "0.12.4", &[]),
    ("base64", "0.22.1", &[]),
];

fn cargo(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(dir)
        .env("CARGO_TARGET_DIR", fixtures_target().join("real"))
        .args(args);
    for (key, _) in std::env::vars() {
        if [
            "NEXTEST",
            "RUST_TEST",
            "PARTEST",
            "CARGO_PKG",
            "CARGO_MANIFEST",
        ]
        .iter()
        .any(|p| key.starts_with(p))
        {
            cmd.env_remove(key);
        }
    }
    cmd.output().unwrap()
}

/// The crates' sources, fetched once into a temp dir through a throwaway package that
/// depends on the exact versions; each copied to a directory of its own with its lockfile.
fn sources() -> &'static (tempfile::TempDir, Vec<PathBuf>) {
    static SOURCES: OnceLock<(tempfile::TempDir, Vec<PathBuf>)> = OnceLock::new();
    SOURCES.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let fetch = root.path().join("fetch");
        std::fs::create_dir_all(fetch.join("src")).unwrap();
        std::fs::write(fetch.join("src/lib.rs"), "").unwrap();
        let deps: String = CRATES
            .iter()
            .map(|(c, v, _)| format!("{c} = \"={v}\"\n"))
            .collect();
        let manifest = format!(
            "[package]\nname = \"fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}"
        );
        std::fs::write(fetch.join("Cargo.toml"), manifest).unwrap();
        let out = cargo(&fetch, &["metadata", "--format-version", "1"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let pinned = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real");
        let dirs = CRATES
            .iter()
            .map(|(name, version, _)| {
                let package = meta["packages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["name"] == *name && p["version"] == *version)
                    .unwrap_or_else(|| panic!("{name} {version} was not fetched"));
                let src = Path::new(package["manifest_path"].as_str().unwrap()).parent().unwrap();
                let dir = root.path().join(name);
                copy_dir(src, &dir);
                std::fs::copy(pinned.join(format!("{name}-{version}.lock")), dir.join("Cargo.lock"))
                    .unwrap();
                dir
            })
            .collect();
        (root, dirs)
    })
}

/// Every `test NAME ... OUTCOME` line of `cargo test OPTIONS -- --test-threads N`, sorted
/// (names repeat across targets, so a multiset).
fn outcomes(dir: &Path, options: &[&str], threads: &str) -> Vec<String> {
    let mut args = vec!["test", "--no-fail-fast"];
    args.extend_from_slice(options);
    args.extend(["--", "--test-threads", threads]);
    let out = cargo(dir, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{dir:?} {args:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = stdout
        .lines()
        .filter(|l| l.starts_with("test ") && l.contains(" ... "))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

fn migrate(dir: &Path, args: &[&str]) -> Output {
    let bin = crate::workspace::cargo_partest();
    let partest = env!("CARGO_MANIFEST_DIR");
    Command::new(bin)
        .args(["partest", "migrate", "--partest-path", partest])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn migrated_crates_keep_their_tests_and_outcomes() {
    let (_, dirs) = sources();
    for ((name, _, options), dir) in CRATES.iter().zip(dirs) {
        let before: Vec<Vec<String>> = ["1", "4"]
            .iter()
            .map(|t| outcomes(dir, options, t))
            .collect();
        assert!(before[0].len() >= 30, "{name}: {}", before[0].len());
        assert_eq!(
            before[0], before[1],
            "{name} under libtest at 1 and 4 threads"
        );

        let check = migrate(dir, &["--check"]);
        let said = String::from_utf8_lossy(&check.stdout);
        assert_eq!(
            check.status.code(),
            Some(1),
            "{name}: --check before: {said}"
        );
        let out = migrate(dir, &[]);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(said.contains("converted: "), "{name}: {said}");
        let check = migrate(dir, &["--check"]);
        let again = String::from_utf8_lossy(&check.stdout);
        assert_eq!(
            check.status.code(),
            Some(0),
            "{name}: --check after: {again}"
        );
        assert!(
            !again.contains("changes "),
            "{name}: a second pass would change: {again}"
        );

        for (threads, libtest) in ["1", "4"].iter().zip(&before) {
            let partest = outcomes(dir, options, threads);
            assert_eq!(
                &partest, libtest,
                "{name} at {threads} threads: partest against libtest"
            );
        }
    }
}
