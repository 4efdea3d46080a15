//! No two sibling modules of `src/` depend on each other: for every pair of modules with
//! the same parent, references (`crate::…`, `super::…`, `use crate::{…}`) go one way at most.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/runner/pool.rs` → `[runner, pool]`; `mod.rs` and `lib.rs` name their directory.
fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: ModPath = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn ident_path(text: &str) -> ModPath {
    text.split("::")
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .take_while(|s| !s.is_empty() && s.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .collect()
}

/// The module paths a file's code refers to.
fn references(module: &ModPath, text: &str) -> Vec<ModPath> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            for item in list.split('}').next().unwrap_or_default().split(',') {
                found.push(ident_path(item.trim()));
            }
        } else {
            found.push(ident_path(rest));
        }
    }
    let parent = &module[..module.len().saturating_sub(1)];
    for (i, _) in code.match_indices("super::") {
        let mut path = parent.to_vec();
        path.extend(ident_path(&code[i + "super::".len()..]));
        found.push(path);
    }
    found.retain(|p| !p.is_empty());
    found
}

#[test]
fn sibling_modules_depend_on_each_other_one_way_at_most() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    // (a, b): sibling a refers to something inside sibling b.
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for file in &all {
        let module = module_of(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        for target in references(&module, &text) {
            if let Some(k) = (0..module.len().min(target.len())).find(|&k| module[k] != target[k]) {
                edges
                    .entry(module[..=k].to_vec())
                    .or_default()
                    .insert(target[..=k].to_vec());
            }
        }
    }
    let mut cycles = Vec::new();
    for (a, targets) in &edges {
        for b in targets {
            if a < b && edges.get(b).is_some_and(|t| t.contains(a)) {
                cycles.push(format!("{} <-> {}", a.join("::"), b.join("::")));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "sibling modules that depend on each other: {cycles:?}"
    );
    // The scan sees real dependencies (it is not vacuous).
    assert!(edges[&vec!["entry".to_owned()]].contains(&vec!["runner".to_owned()]));
}
