//! What `partest::main!()` looks for before the build goes on: tests that rustc would drop
//! without a word because the target has no libtest harness (`#[test]`, `#[tokio::test]`
//! and other `…::test` attributes, test-case's cases, a bare `#[rstest]`, `#[test]` in
//! `proptest!` or in a `macro_rules!` generator). It reads the target's module tree from the
//! file `main!()` is called in, following `mod name;` (and `#[path]`) like rustc, and reports
//! each such item with its file, line, form and fix. What it cannot read (`include!`, a
//! module file it cannot find) it names as unjudged.

pub mod classify;
pub mod lexer;

use lexer::{Tok, Token};
use std::path::{Path, PathBuf};

pub use classify::Finding;

/// What the scan of a target found.
#[derive(Debug, Default)]
pub struct Report {
    /// Tests that would never run.
    pub findings: Vec<Finding>,
    /// Places the scan could not look into: (file, line, what).
    pub unjudged: Vec<(PathBuf, usize, String)>,
    /// The files of the module tree, the root first.
    pub files: Vec<PathBuf>,
}

/// Scans the module tree rooted at `root`, the file `main!()` is called in at `line`. A
/// call that is not in that file's code at that line (a doctest, whose spans point into a
/// doc comment) is no target's entry point: nothing is scanned.
pub fn scan(root: &Path, line: usize) -> Report {
    let calls_main = std::fs::read_to_string(root).is_ok_and(|text| {
        let tokens = lexer::lex(&text);
        tokens.windows(2).any(|w| {
            w[0].line == line
                && w[0].tok == Tok::Ident("main".into())
                && w[1].tok == Tok::Punct('!')
        })
    });
    if !calls_main {
        return Report::default();
    }
    tree(root)
}

/// Scans the module tree rooted at `root` (a crate root file).
pub fn tree(root: &Path) -> Report {
    let mut report = Report::default();
    let dir = root.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut queue = vec![(root.to_path_buf(), dir)];
    let mut seen = std::collections::HashSet::new();
    while let Some((file, dir)) = queue.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        report.files.push(file.clone());
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let tokens = lexer::lex(&text);
        let mut walk = FileWalk {
            file: &file,
            tokens: &tokens,
            report: &mut report,
            children: Vec::new(),
        };
        walk.run(&dir);
        queue.extend(walk.children);
    }
    report
}

/// The walk over one file's tokens.
struct FileWalk<'a> {
    file: &'a Path,
    tokens: &'a [Token],
    report: &'a mut Report,
    /// Module files to scan next: (file, the directory its own `mod x;` resolve in).
    children: Vec<(PathBuf, PathBuf)>,
}

impl FileWalk<'_> {
    fn ident(&self, at: usize) -> Option<&str> {
        match self.tokens.get(at).map(|t| &t.tok) {
            Some(Tok::Ident(s)) => Some(s),
            _ => None,
        }
    }

    fn punct(&self, at: usize, c: char) -> bool {
        self.tokens.get(at).map(|t| &t.tok) == Some(&Tok::Punct(c))
    }

    fn run(&mut self, dir: &Path) {
        let imports = classify::Imports {
            test: classify::imports_partest(self.tokens, "test"),
            test_case: classify::imports_partest(self.tokens, "test_case"),
        };
        // Directories of the inline `mod x { … }` blocks we are in, with their brace depth.
        let mut dirs: Vec<(PathBuf, usize)> = vec![(dir.to_path_buf(), 0)];
        let mut depth = 0;
        let mut at = 0;
        // A `#[path = "…"]` and where its item starts: it belongs to a `mod` a few tokens on.
        let mut path_attr: Option<(String, usize)> = None;
        while at < self.tokens.len() {
            let here = dirs.last().map(|(d, _)| d.clone()).unwrap_or_default();
            match &self.tokens[at].tok {
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    depth -= 1;
                    if dirs.len() > 1 && dirs.last().is_some_and(|(_, d)| *d == depth) {
                        dirs.pop();
                    }
                }
                Tok::Punct('#') if self.punct(at + 1, '[') => {
                    let (attrs, next) = classify::attributes(self.tokens, at);
                    path_attr = classify::path_attribute(&attrs).map(|p| (p, next));
                    let item = classify::item_name(self.tokens, next);
                    if let Some(f) = classify::judge(&attrs, item, imports) {
                        self.report.findings.push(Finding {
                            file: self.file.to_path_buf(),
                            line: self.tokens[at].line,
                            ..f
                        });
                    }
                    at = next;
                    continue;
                }
                Tok::Ident(w) if w == "mod" => {
                    if let Some(name) = self.ident(at + 1) {
                        let name = name.to_owned();
                        if self.punct(at + 2, '{') {
                            dirs.push((here.join(&name), depth + 1));
                        } else if self.punct(at + 2, ';') {
                            // `pub(crate) mod x;` puts up to four tokens before `mod`.
                            let path = path_attr.take().filter(|(_, item)| at - item <= 4);
                            self.module_file(&here, &name, path.map(|(p, _)| p), at);
                        }
                    }
                }
                Tok::Ident(w) if w == "include" && self.punct(at + 1, '!') => {
                    let line = self.tokens[at].line;
                    let what = "`include!`: the scan does not read included files".to_owned();
                    self.report
                        .unjudged
                        .push((self.file.to_path_buf(), line, what));
                }
                _ => {}
            }
            at += 1;
        }
    }

    /// Queues the file of `mod name;` declared in directory `here` (rustc's rules:
    /// `#[path]` relative to the declaring file's directory, else `name.rs`, else
    /// `name/mod.rs`).
    fn module_file(&mut self, here: &Path, name: &str, path_attr: Option<String>, at: usize) {
        let declaring_dir = self.file.parent().unwrap_or(Path::new(""));
        let candidates = match &path_attr {
            Some(p) => vec![declaring_dir.join(p)],
            None => vec![
                here.join(format!("{name}.rs")),
                here.join(name).join("mod.rs"),
            ],
        };
        match candidates.into_iter().find(|c| c.is_file()) {
            Some(file) => {
                let is_mod_rs = file.file_name().is_some_and(|n| n == "mod.rs");
                let child_dir = match (&path_attr, is_mod_rs) {
                    (None, false) => here.join(name),
                    _ => file.parent().unwrap_or(Path::new("")).to_path_buf(),
                };
                self.children.push((file, child_dir));
            }
            None => {
                let line = self.tokens[at].line;
                let what = format!("`mod {name};`: its file was not found");
                self.report
                    .unjudged
                    .push((self.file.to_path_buf(), line, what));
            }
        }
    }
}
