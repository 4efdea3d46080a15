//! A package's targets with tests in them, as cargo finds them: `[lib]`, `[[bin]]` and
//! `[[test]]` entries and the ones cargo discovers (`src/lib.rs`, `src/main.rs`,
//! `src/bin/*.rs`, `tests/*.rs`, `tests/*/main.rs`) unless `autobins` / `autotests` is off.

use std::path::{Path, PathBuf};
use toml_edit::DocumentMut;

/// What kind of target, which decides how it becomes a partest one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The library: unit tests under `#[cfg(test)]`.
    Lib,
    /// A binary: unit tests beside its `fn main`.
    Bin,
    /// An integration test target.
    Test,
}

/// One target.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    /// Its root file, relative to the package.
    pub(crate) root: PathBuf,
}

fn string(item: &toml_edit::Item, key: &str) -> Option<String> {
    item.get(key)?.as_str().map(str::to_owned)
}

fn flag(doc: &DocumentMut, key: &str) -> bool {
    doc.get("package")
        .and_then(|p| p.get(key))
        .and_then(|v| v.as_bool())
        .unwrap_or(true)
}

/// `dir/*.rs` and `dir/*/main.rs`, as (name, path) in name order.
fn discovered(package: &Path, dir: &str) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(package.join(dir)) else {
        return Vec::new();
    };
    let mut found: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let path = e.path();
            let name = path.file_stem()?.to_string_lossy().into_owned();
            let rel = Path::new(dir).join(path.file_name()?);
            if path.is_file() && path.extension().is_some_and(|x| x == "rs") {
                Some((name, rel))
            } else if path.join("main.rs").is_file() {
                Some((name, rel.join("main.rs")))
            } else {
                None
            }
        })
        .collect();
    found.sort();
    found
}

/// The `[[KEY]]` entries as (name, path).
fn listed(doc: &DocumentMut, key: &str, default_dir: &str) -> Vec<(String, PathBuf)> {
    let Some(tables) = doc.get(key).and_then(|t| t.as_array_of_tables()) else {
        return Vec::new();
    };
    tables
        .iter()
        .filter_map(|t| {
            let item = toml_edit::Item::Table(t.clone());
            let name = string(&item, "name")?;
            let path = string(&item, "path")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(default_dir).join(format!("{name}.rs")));
            Some((name, path))
        })
        .collect()
}

/// Every target of the package at `package` (its directory) whose manifest is `doc`.
pub(crate) fn targets(package: &Path, doc: &DocumentMut) -> Vec<Target> {
    let mut out = Vec::new();
    let lib = doc.get("lib");
    let proc_macro = lib
        .and_then(|l| l.get("proc-macro"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let lib_root = lib
        .and_then(|l| string(l, "path"))
        .map_or_else(|| PathBuf::from("src/lib.rs"), PathBuf::from);
    if !proc_macro && package.join(&lib_root).is_file() {
        let name = doc["package"]["name"]
            .as_str()
            .unwrap_or("lib")
            .replace('-', "_");
        out.push(Target {
            kind: Kind::Lib,
            name,
            root: lib_root,
        });
    }
    let package_name = doc["package"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut bins = listed(doc, "bin", "src/bin");
    if flag(doc, "autobins") {
        if package.join("src/main.rs").is_file() {
            bins.push((package_name.clone(), PathBuf::from("src/main.rs")));
        }
        bins.extend(discovered(package, "src/bin"));
    }
    let mut tests = listed(doc, "test", "tests");
    if flag(doc, "autotests") {
        tests.extend(discovered(package, "tests"));
    }
    for (kind, list) in [(Kind::Bin, bins), (Kind::Test, tests)] {
        let mut seen: Vec<String> = Vec::new();
        for (name, root) in list {
            if seen.contains(&name) {
                continue;
            }
            // A listed test at tests/NAME/main.rs has no `path`: cargo finds it there.
            let root = match package.join(&root).is_file() {
                true => root,
                false => root.with_extension("").join("main.rs"),
            };
            seen.push(name.clone());
            out.push(Target { kind, name, root });
        }
    }
    out
}
