//! Cargo.toml edits for a migration (formatting and comments elsewhere kept, through
//! `toml_edit`): `harness = false` on each converted target (an entry of its own for a
//! discovered one) and partest as a dev-dependency with the features the tests need.

use super::targets::{Kind, Target};
use toml_edit::{value, Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

/// `harness = false` for `target`.
pub(crate) fn harness_false(doc: &mut DocumentMut, target: &Target) {
    if target.kind == Kind::Lib {
        let lib = doc.entry("lib").or_insert(Item::Table(Table::new()));
        if let Some(lib) = lib.as_table_like_mut() {
            lib.insert("harness", value(false));
        }
        return;
    }
    let key = match target.kind {
        Kind::Bin => "bin",
        _ => "test",
    };
    let entries = doc
        .entry(key)
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let Some(entries) = entries.as_array_of_tables_mut() else {
        return;
    };
    let existing = entries
        .iter_mut()
        .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(target.name.as_str()));
    match existing {
        Some(table) => {
            table.insert("harness", value(false));
        }
        None => {
            let mut table = Table::new();
            table.insert("name", value(target.name.clone()));
            if target.kind == Kind::Bin {
                table.insert("path", value(target.root.to_string_lossy().into_owned()));
            }
            table.insert("harness", value(false));
            entries.push(table);
        }
    }
}

/// What the partest dev-dependency must be.
pub(crate) struct Dependency<'a> {
    /// A path to use instead of the registry version.
    pub(crate) path: Option<&'a str>,
    /// Features the converted tests need (`tokio`, `tokio-test-util`).
    pub(crate) features: Vec<&'static str>,
}

/// Adds partest to `[dev-dependencies]`, or the missing features to the one there.
pub(crate) fn partest_dependency(doc: &mut DocumentMut, dep: &Dependency) {
    let deps = doc
        .entry("dev-dependencies")
        .or_insert(Item::Table(Table::new()));
    let Some(deps) = deps.as_table_like_mut() else {
        return;
    };
    if !deps.contains_key("partest") {
        let mut spec = InlineTable::new();
        match dep.path {
            Some(path) => spec.insert("path", path.into()),
            None => spec.insert("version", env!("CARGO_PKG_VERSION").into()),
        };
        deps.insert("partest", Item::Value(spec.into()));
    }
    if dep.features.is_empty() {
        return;
    }
    let Some(entry) = deps.get_mut("partest") else {
        return;
    };
    if let Some(version) = entry.as_str().map(str::to_owned) {
        let mut spec = InlineTable::new();
        spec.insert("version", version.into());
        *entry = Item::Value(spec.into());
    }
    let Some(spec) = entry.as_table_like_mut() else {
        return;
    };
    let features = spec
        .entry("features")
        .or_insert(Item::Value(Array::new().into()));
    if let Some(list) = features.as_array_mut() {
        for feature in &dep.features {
            if !list.iter().any(|f| f.as_str() == Some(feature)) {
                list.push(*feature);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn targets_get_harness_false_and_partest_its_features() {
        let mut doc: DocumentMut = "[package]\nname = \"p\" # the name\n\n[[test]]\nname = \"a\"\n\n[dev-dependencies]\npartest = \"0.1\"\n"
            .parse()
            .unwrap();
        let target = |kind, name: &str| Target {
            kind,
            name: name.into(),
            root: PathBuf::from(format!("tests/{name}.rs")),
        };
        harness_false(&mut doc, &target(Kind::Test, "a"));
        harness_false(&mut doc, &target(Kind::Test, "b"));
        harness_false(&mut doc, &target(Kind::Lib, "p"));
        let dep = Dependency {
            path: None,
            features: vec!["tokio"],
        };
        partest_dependency(&mut doc, &dep);
        let text = doc.to_string();
        assert!(text.contains("name = \"p\" # the name"), "{text}");
        assert!(
            text.contains("[[test]]\nname = \"a\"\nharness = false"),
            "{text}"
        );
        assert!(
            text.contains("[[test]]\nname = \"b\"\nharness = false"),
            "{text}"
        );
        assert!(text.contains("[lib]\nharness = false"), "{text}");
        assert!(
            text.contains("partest = { version = \"0.1\", features = [\"tokio\"] }"),
            "{text}"
        );
        // Idempotent.
        let before = doc.to_string();
        harness_false(&mut doc, &target(Kind::Test, "b"));
        partest_dependency(&mut doc, &dep);
        assert_eq!(doc.to_string(), before);
    }
}
