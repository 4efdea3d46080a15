//! `cargo partest migrate`: rewrites a package's libtest tests for partest — each test
//! target (the lib and binaries too when they have tests) gets `harness = false` and
//! `partest::main!()`, the test attributes become partest's ([`rewrite`]), partest becomes
//! a dev-dependency — and lists what it could not convert and why. Idempotent; `--check`
//! changes nothing and fails when anything would change or could not be converted;
//! `--diff` prints the change instead of writing it.

mod manifest;
mod rewrite;
mod targets;

use partest_scan::lexer::{lex, Tok};
use rewrite::Skipped;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use targets::{Kind, Target};
use toml_edit::DocumentMut;

/// `cargo partest migrate --help`.
pub(crate) const USAGE: &str = "\
Rewrite a package's libtest tests to run under partest.

Usage: cargo partest migrate [--check | --diff] [--manifest-path PATH] [--partest-path DIR]

Every test target gets `harness = false` and `partest::main!();` (the lib and binaries
too when they have unit tests: `#[cfg(test)] partest::main!();`, a binary's `fn main`
under `#[cfg(not(test))]`); #[test] (also in proptest! and macro_rules! bodies) and
#[tokio::test(...)] become #[partest::test(...)], serial_test's #[serial(key)] a serial
key on it, test-case's #[test_case(...)] #[partest::test_case(...)], a bare #[rstest] gets
#[partest::test] below it; partest becomes a dev-dependency. What cannot be converted is
listed with the reason. Comments and formatting elsewhere stay as they were.

  --check              Change nothing; exit 1 if anything would change or cannot convert
  --diff               Print the change as a unified diff instead of writing it
  --manifest-path PATH The package's Cargo.toml (default: ./Cargo.toml)
  --partest-path DIR   Depend on partest at DIR instead of the registry version
";

struct Options {
    manifest: PathBuf,
    check: bool,
    diff: bool,
    partest_path: Option<String>,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        manifest: PathBuf::from("Cargo.toml"),
        check: false,
        diff: false,
        partest_path: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--check" => o.check = true,
            "--diff" => o.diff = true,
            "--manifest-path" => o.manifest = PathBuf::from(value(arg)?),
            "--partest-path" => o.partest_path = Some(value(arg)?),
            other => {
                return Err(format!(
                    "unknown option `{other}` (see cargo partest migrate --help)"
                ))
            }
        }
    }
    Ok(o)
}

/// Everything a migration changes and leaves.
#[derive(Default)]
struct Plan {
    /// Each file: (before, after).
    files: BTreeMap<PathBuf, (String, String)>,
    converted: BTreeMap<&'static str, usize>,
    skipped: Vec<(PathBuf, Skipped)>,
    notes: Vec<String>,
    tokio: bool,
    test_util: bool,
}

/// Whether `text` has a top-level `fn main`; the byte its line starts at.
fn top_level_main(text: &str) -> Option<usize> {
    let tokens = lex(text);
    let mut depth = 0i32;
    for (i, t) in tokens.iter().enumerate() {
        match &t.tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => depth -= 1,
            Tok::Ident(w)
                if w == "fn"
                    && depth == 0
                    && tokens.get(i + 1).map(|n| &n.tok) == Some(&Tok::Ident("main".into())) =>
            {
                return Some(text[..t.start].rfind('\n').map_or(0, |n| n + 1));
            }
            _ => {}
        }
    }
    None
}

impl Plan {
    /// The current text of `path` (as rewritten so far).
    fn text(&self, path: &Path) -> Option<String> {
        match self.files.get(path) {
            Some((_, after)) => Some(after.clone()),
            None => std::fs::read_to_string(path).ok(),
        }
    }

    fn set(&mut self, path: &Path, after: String) {
        let before = match self.files.get(path) {
            Some((before, _)) => before.clone(),
            None => std::fs::read_to_string(path).unwrap_or_default(),
        };
        self.files.insert(path.to_owned(), (before, after));
    }

    /// Rewrites the files of `target`'s module tree; whether it has tests.
    fn rewrite_tree(&mut self, package: &Path, target: &Target) -> bool {
        let root = package.join(&target.root);
        let mut has_tests = false;
        for file in partest_scan::tree(&root).files {
            let Some(text) = self.text(&file) else {
                continue;
            };
            let done = rewrite::rewrite(&text);
            has_tests |= !done.converted.is_empty() || text.contains("partest::test");
            for form in &done.converted {
                *self.converted.entry(form).or_default() += 1;
            }
            let rel = file.strip_prefix(package).unwrap_or(&file).to_path_buf();
            self.skipped
                .extend(done.skipped.iter().cloned().map(|s| (rel.clone(), s)));
            has_tests |= !done.skipped.is_empty();
            self.tokio |= done.tokio;
            self.test_util |= done.test_util;
            if done.text != text {
                self.set(&file, done.text);
            }
        }
        has_tests
    }

    /// Gives `target`'s root its entry point; false when it has a harness of its own.
    fn entry_point(&mut self, package: &Path, target: &Target) -> bool {
        let root = package.join(&target.root);
        let Some(mut text) = self.text(&root) else {
            return false;
        };
        if text.contains("partest::main!") {
            return true;
        }
        let main = top_level_main(&text);
        match (target.kind, main) {
            (Kind::Test, Some(_)) => {
                let shown = target.root.display();
                self.notes.push(format!(
                    "{shown} defines its own `fn main` (a harness of its own): left as it is"
                ));
                return false;
            }
            (Kind::Test, None) => text.push_str("\npartest::main!();\n"),
            (Kind::Bin, Some(at)) => {
                text.insert_str(at, "#[cfg(not(test))]\n");
                text.push_str("\n#[cfg(test)]\npartest::main!();\n");
            }
            (Kind::Bin, None) => return false,
            (Kind::Lib, _) => text.push_str("\n#[cfg(test)]\npartest::main!();\n"),
        }
        self.set(&root, text);
        true
    }
}

/// Works out the migration of the package whose manifest is at `manifest_path`.
fn plan(manifest_path: &Path, partest_path: Option<&str>) -> Result<Plan, String> {
    let text = std::fs::read_to_string(manifest_path)
        .map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("{} is not valid TOML: {e}", manifest_path.display()))?;
    if doc.get("package").is_none() {
        return Err(format!(
            "{} has no [package] (a virtual workspace): run migrate in each member (--manifest-path)",
            manifest_path.display()
        ));
    }
    let package = manifest_path
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let package = if package.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        package
    };
    let mut plan = Plan::default();
    let mut any = false;
    for target in targets::targets(&package, &doc) {
        let has_tests = plan.rewrite_tree(&package, &target);
        if target.kind != Kind::Test && !has_tests {
            continue;
        }
        if plan.entry_point(&package, &target) {
            manifest::harness_false(&mut doc, &target);
            any = true;
        }
    }
    if any {
        let mut features = Vec::new();
        if plan.tokio {
            features.push("tokio");
        }
        if plan.test_util {
            features.push("tokio-test-util");
        }
        manifest::partest_dependency(
            &mut doc,
            &manifest::Dependency {
                path: partest_path,
                features,
            },
        );
    }
    let after = doc.to_string();
    if after != text {
        plan.files.insert(manifest_path.to_owned(), (text, after));
    }
    Ok(plan)
}

fn report(plan: &Plan, package: &Path) {
    let converted: Vec<String> = plan
        .converted
        .iter()
        .map(|(form, n)| format!("{n} {form}"))
        .collect();
    if !converted.is_empty() {
        println!("converted: {}", converted.join(", "));
    }
    for note in &plan.notes {
        println!("note: {note}");
    }
    if !plan.skipped.is_empty() {
        println!(
            "not converted ({}; these tests would not run under partest):",
            plan.skipped.len()
        );
        for (file, s) in &plan.skipped {
            let name = s
                .name
                .as_deref()
                .map_or(String::new(), |n| format!(" `{n}`"));
            println!(
                "  {}:{}:{name} {}: {}",
                file.display(),
                s.line,
                s.form,
                s.why
            );
        }
    }
    for path in plan.files.keys() {
        let shown = path.strip_prefix(package).unwrap_or(path);
        println!("changes {}", shown.display());
    }
}

/// Runs `cargo partest migrate ARGS`.
pub(crate) fn run(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = options(args).and_then(|o| {
        let plan = plan(&o.manifest, o.partest_path.as_deref())?;
        let package = o.manifest.parent().unwrap_or(Path::new("")).to_path_buf();
        report(&plan, &package);
        if o.diff {
            for (path, (before, after)) in &plan.files {
                let shown = path
                    .strip_prefix(&package)
                    .unwrap_or(path)
                    .display()
                    .to_string();
                let diff = similar::TextDiff::from_lines(before, after);
                let text = diff.unified_diff().header(&shown, &shown).to_string();
                // A closed pipe (`| head`) ends the listing, not the program.
                let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
            }
        } else if !o.check {
            for (path, (_, after)) in &plan.files {
                std::fs::write(path, after)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
        let pending = o.check && !plan.files.is_empty();
        Ok(pending || !plan.skipped.is_empty())
    });
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(101)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn a_binarys_unit_tests_get_their_own_entry_point() {
        let dir = package(&[
            ("Cargo.toml", "[package]\nname = \"tool\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
            ("src/main.rs", "fn main() {\n    println!(\"hi\");\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn works() {}\n}\n"),
        ]);
        let plan = plan(&dir.path().join("Cargo.toml"), Some("/p")).unwrap();
        let main = &plan.files[&dir.path().join("src/main.rs")].1;
        assert_eq!(
            main,
            "#[cfg(not(test))]\nfn main() {\n    println!(\"hi\");\n}\n\n#[cfg(test)]\nmod tests {\n    #[partest::test]\n    fn works() {}\n}\n\n#[cfg(test)]\npartest::main!();\n"
        );
        let manifest = &plan.files[&dir.path().join("Cargo.toml")].1;
        assert!(
            manifest.contains("[[bin]]\nname = \"tool\"\npath = \"src/main.rs\"\nharness = false"),
            "{manifest}"
        );
        assert!(
            manifest.contains("partest = { path = \"/p\" }"),
            "{manifest}"
        );
        assert!(plan.skipped.is_empty());
    }

    #[test]
    fn a_target_with_a_harness_of_its_own_is_left_and_said() {
        let dir = package(&[
            ("Cargo.toml", "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[test]]\nname = \"custom\"\nharness = false\n"),
            ("tests/custom.rs", "fn main() {}\n"),
            ("tests/plain.rs", "#[test]\nfn t() {}\n"),
        ]);
        let plan = plan(&dir.path().join("Cargo.toml"), None).unwrap();
        assert!(!plan.files.contains_key(&dir.path().join("tests/custom.rs")));
        assert!(plan
            .notes
            .iter()
            .any(|n| n.contains("tests/custom.rs defines its own `fn main`")));
        let plain = &plan.files[&dir.path().join("tests/plain.rs")].1;
        assert_eq!(plain, "#[partest::test]\nfn t() {}\n\npartest::main!();\n");
    }
}
