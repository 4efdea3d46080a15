//! Which attribute runs mean a test that rustc drops without libtest's harness, and what to
//! write instead.

use super::lexer::{Tok, Token};
use std::path::PathBuf;

/// One test that would never run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file it is in.
    pub file: PathBuf,
    /// The line of its first attribute.
    pub line: usize,
    /// The function's name, when the scan can tell (not in a `macro_rules!` body).
    pub name: Option<String>,
    /// The form, as written (`#[tokio::test]`).
    pub form: String,
    /// What to write instead.
    pub fix: String,
}

/// One outer attribute: its path (`tokio::test`), its tokens and its byte range (from `#`
/// to `]`).
#[derive(Debug)]
pub struct Attr {
    /// `::`-separated, no leading `::`.
    pub path: String,
    /// What is between the brackets.
    pub tokens: Vec<Tok>,
    /// The byte of its `#`.
    pub start: usize,
    /// One past the byte of its `]`.
    pub end: usize,
}

/// Which of partest's attributes the file imports by name.
#[derive(Clone, Copy, Debug, Default)]
pub struct Imports {
    /// `use partest::test;`: a bare `#[test]` is partest's.
    pub test: bool,
    /// `use partest::test_case;`: a bare `#[test_case]` is partest's.
    pub test_case: bool,
}

/// Crates whose `#[krate::test]` expands to std's `#[test]`.
const TEST_MACRO_CRATES: [&str; 8] = [
    "tokio",
    "async_std",
    "actix_rt",
    "actix_web",
    "sqlx",
    "test_log",
    "futures_test",
    "tokio_shared_rt",
];

/// The consecutive outer attributes starting at `at` (a `#` before `[`), and the index of
/// the first token after them.
pub fn attributes(tokens: &[Token], mut at: usize) -> (Vec<Attr>, usize) {
    let mut attrs = Vec::new();
    while tokens.get(at).map(|t| &t.tok) == Some(&Tok::Punct('#'))
        && tokens.get(at + 1).map(|t| &t.tok) == Some(&Tok::Punct('['))
    {
        let mut depth = 0;
        let mut end = at + 1;
        while end < tokens.len() {
            match tokens[end].tok {
                Tok::Punct('[') => depth += 1,
                Tok::Punct(']') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            end += 1;
        }
        let inner: Vec<Tok> = tokens[(at + 2).min(end)..end]
            .iter()
            .map(|t| t.tok.clone())
            .collect();
        attrs.push(Attr {
            path: path_of(&inner),
            tokens: inner,
            start: tokens[at].start,
            end: tokens.get(end).map_or(tokens[end - 1].end, |t| t.end),
        });
        at = end + 1;
    }
    (attrs, at)
}

/// The path at the start of an attribute's tokens, `::` separated, no leading `::`.
fn path_of(tokens: &[Tok]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for tok in tokens {
        match tok {
            Tok::Ident(s) => parts.push(s),
            Tok::Punct(':') => {}
            _ => break,
        }
    }
    parts.join("::")
}

/// The value of a `#[path = "…"]` among `attrs`.
pub fn path_attribute(attrs: &[Attr]) -> Option<String> {
    attrs.iter().find(|a| a.path == "path").and_then(|a| {
        a.tokens.iter().find_map(|t| match t {
            Tok::Str(s) => Some(s.clone()),
            _ => None,
        })
    })
}

/// The name of the function at `at` (after its attributes), if it is one.
pub fn item_name(tokens: &[Token], mut at: usize) -> Option<String> {
    const QUALIFIERS: [&str; 7] = ["pub", "async", "unsafe", "const", "extern", "crate", "in"];
    while let Some(tok) = tokens.get(at).map(|t| &t.tok) {
        match tok {
            Tok::Ident(w) if w == "fn" => {
                return match tokens.get(at + 1).map(|t| &t.tok) {
                    Some(Tok::Ident(name)) => Some(name.clone()),
                    _ => None,
                };
            }
            Tok::Ident(w) if QUALIFIERS.contains(&w.as_str()) => {}
            Tok::Punct('(' | ')') | Tok::Str(_) => {}
            Tok::Ident(w) if w == "self" || w == "super" => {}
            _ => return None,
        }
        at += 1;
    }
    None
}

/// Whether the file imports partest's attribute `name` (`use partest::test;`, also in a
/// list or by glob): a bare `#[test]` there is partest's.
pub fn imports_partest(tokens: &[Token], name: &str) -> bool {
    let mut at = 0;
    while at < tokens.len() {
        if tokens[at].tok == Tok::Ident("use".into()) {
            let end = (at..tokens.len())
                .find(|&i| tokens[i].tok == Tok::Punct(';'))
                .unwrap_or(tokens.len());
            let body = &tokens[at + 1..end];
            let first = body.iter().find_map(|t| match &t.tok {
                Tok::Ident(s) => Some(s.as_str()),
                _ => None,
            });
            let names_test = body
                .iter()
                .any(|t| t.tok == Tok::Ident(name.into()) || t.tok == Tok::Punct('*'));
            if first == Some("partest") && names_test {
                return true;
            }
            at = end;
        }
        at += 1;
    }
    false
}

/// The serial key that serial_test's `#[serial]` / `#[serial(key)]` means
/// (`serial_test` for the keyless form, which all keyless tests share).
pub fn serial_key(attr: &Attr) -> String {
    let key = attr
        .tokens
        .iter()
        .skip_while(|t| **t != Tok::Punct('('))
        .find_map(|t| match t {
            Tok::Ident(k) => Some(k.clone()),
            _ => None,
        });
    key.unwrap_or_else(|| "serial_test".to_owned())
}

/// serial_test's attribute among `attrs`, if any.
pub fn serial_attribute(attrs: &[Attr]) -> Option<&Attr> {
    attrs
        .iter()
        .find(|a| a.path == "serial" || a.path == "serial_test::serial")
}

/// Whether `path` is std's test attribute (`test`, unless the file imports partest's as
/// `test`, or its prelude path).
pub fn is_std_test(path: &str, uses_partest_test: bool) -> bool {
    (path == "test" && !uses_partest_test)
        || ((path.starts_with("core::prelude::") || path.starts_with("std::prelude::"))
            && path.ends_with("::test"))
}

fn is_partest_test(path: &str, uses_partest_test: bool) -> bool {
    path == "partest::test" || (path == "test" && uses_partest_test)
}

/// The finding for an item carrying `attrs` (file and line left to the caller), if its
/// test would never run.
pub fn judge(attrs: &[Attr], name: Option<String>, imports: Imports) -> Option<Finding> {
    let uses_partest = imports.test;
    let finding = |form: String, fix: &str| Finding {
        file: PathBuf::new(),
        line: 0,
        name: name.clone(),
        form,
        fix: fix.to_owned(),
    };
    for attr in attrs {
        let path = attr.path.as_str();
        let krate = path.split("::").next().unwrap_or("");
        if is_std_test(path, uses_partest) {
            let fix = match serial_attribute(attrs).map(serial_key) {
                Some(key) => format!(
                    "std's test attribute; write #[partest::test(serial({key}))] (serial_test's \
                     #[serial] keeps only other #[serial] tests away: a serial key; partest's \
                     bare `serial` runs alone)"
                ),
                None => "std's test attribute; write #[partest::test]".to_owned(),
            };
            return Some(finding(format!("#[{path}]"), &fix));
        }
        if path == "tokio::test" {
            return Some(finding(
                "#[tokio::test]".into(),
                "it expands to std's #[test]; write #[partest::test] on the async fn (partest's \
                 `tokio` feature; flavor, worker_threads and start_paused go in its arguments)",
            ));
        }
        if path.ends_with("::test") && TEST_MACRO_CRATES.contains(&krate) {
            return Some(finding(
                format!("#[{path}]"),
                "it expands to std's #[test]; write #[partest::test] (do its set-up in the body)",
            ));
        }
        let test_case = matches!(path, "test_case::test_case" | "test_case::case")
            || (path == "test_case" && !imports.test_case);
        if test_case || path == "test_matrix" || path == "test_case::test_matrix" {
            return Some(finding(
                format!("#[{path}]"),
                "test-case puts std's #[test] on each case; write #[partest::test_case(…)] \
                 (same arguments and names)",
            ));
        }
    }
    let rstest = attrs
        .iter()
        .any(|a| a.path == "rstest" || a.path == "rstest::rstest");
    let partest = attrs.iter().any(|a| is_partest_test(&a.path, uses_partest));
    (rstest && !partest).then(|| {
        finding(
            "#[rstest]".into(),
            "without a test attribute under it rstest emits std's #[test]; write \
             #[partest::test] (the path form) on the line below #[rstest]",
        )
    })
}
