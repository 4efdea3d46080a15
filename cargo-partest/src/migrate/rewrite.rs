//! Rewrites one source file's test attributes for partest, leaving every other byte as it
//! was: std's `#[test]` (also in `proptest!` and `macro_rules!` bodies) and `#[tokio::test]`
//! become `#[partest::test]` (tokio's arguments kept), serial_test's `#[serial]` /
//! `#[serial(key)]` become a serial key on it, test-case's `#[test_case(…)]` becomes
//! `#[partest::test_case(…)]`, and a bare `#[rstest]` gets `#[partest::test]` below it.
//! What cannot be converted is listed with the reason.

use partest_scan::classify::{self, is_std_test, serial_attribute, serial_key, Attr};
use partest_scan::lexer::{lex, Tok, Token};

/// One test form left as it was, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Skipped {
    /// 1-based line.
    pub(crate) line: usize,
    /// The function, when the scan can tell.
    pub(crate) name: Option<String>,
    /// The attribute as written.
    pub(crate) form: String,
    /// Why it stays.
    pub(crate) why: String,
}

/// What rewriting a file did.
#[derive(Debug, Default)]
pub(crate) struct Rewritten {
    /// The new text.
    pub(crate) text: String,
    /// The forms converted, by name (`#[test]`), one entry each.
    pub(crate) converted: Vec<&'static str>,
    /// The forms left.
    pub(crate) skipped: Vec<Skipped>,
    /// Whether a converted test needs partest's `tokio` feature.
    pub(crate) tokio: bool,
    /// Whether one needs `tokio-test-util` (`start_paused`).
    pub(crate) test_util: bool,
}

/// One replacement of the bytes `start..end`.
struct Edit {
    start: usize,
    end: usize,
    with: String,
}

/// tokio's arguments partest takes as they are.
const TOKIO_ARGS: [&str; 3] = ["flavor", "worker_threads", "start_paused"];

/// The attribute's text between its brackets, after its path (`(…)` or empty).
fn arguments<'t>(text: &'t str, attr: &Attr) -> &'t str {
    let inner = &text[attr.start..attr.end];
    match inner.find('(') {
        Some(open) => {
            let body = inner[open + 1..inner.len() - 1].trim_end();
            body.strip_suffix(')').unwrap_or(body)
        }
        None => "",
    }
}

/// `#[partest::test]` with `args` (already joined), if any.
fn partest_test(args: &[String]) -> String {
    match args.is_empty() {
        true => "#[partest::test]".to_owned(),
        false => format!("#[partest::test({})]", args.join(", ")),
    }
}

/// The span to delete for an attribute on a line of its own: through its line break.
fn whole_line(text: &str, attr: &Attr) -> (usize, usize) {
    let line_start = text[..attr.start].rfind('\n').map_or(0, |i| i + 1);
    let before_blank = text[line_start..attr.start].trim().is_empty();
    let rest = &text[attr.end..];
    let after = rest.find('\n').map_or(rest.len(), |i| i + 1);
    match before_blank && rest[..after].trim().is_empty() {
        true => (line_start, attr.end + after),
        false => (attr.start, attr.end),
    }
}

/// The indentation of the line `at` is on.
fn indent_at(text: &str, at: usize) -> &str {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..at];
    &line[..line.len() - line.trim_start().len()]
}

/// Everything one attribute group (the attributes of one item) contributes.
struct Group<'a> {
    text: &'a str,
    attrs: &'a [Attr],
    name: Option<String>,
    line: usize,
    imports_test: bool,
}

impl Group<'_> {
    fn skip(&self, out: &mut Rewritten, attr: &Attr, why: &str) {
        out.skipped.push(Skipped {
            line: self.line,
            name: self.name.clone(),
            form: self.text[attr.start..attr.end].to_owned(),
            why: why.to_owned(),
        });
    }

    /// The edits for the group, recording what it converted or left.
    fn edits(&self, out: &mut Rewritten) -> Vec<Edit> {
        let serial = serial_attribute(self.attrs);
        let serial_arg: Vec<String> = serial
            .map(|a| format!("serial({})", serial_key(a)))
            .into_iter()
            .collect();
        let mut edits = Vec::new();
        let mut converted_test = false;
        for attr in self.attrs {
            if let Some((with, makes_test)) = self.convert(attr, &serial_arg, out) {
                edits.push(Edit {
                    start: attr.start,
                    end: attr.end,
                    with,
                });
                converted_test |= makes_test;
            }
        }
        let rstest = self
            .attrs
            .iter()
            .find(|a| a.path == "rstest" || a.path == "rstest::rstest");
        let has_partest = self.attrs.iter().any(|a| a.path == "partest::test");
        if let (Some(rstest), false, false) = (rstest, converted_test, has_partest) {
            let indent = indent_at(self.text, rstest.start);
            edits.push(Edit {
                start: rstest.end,
                end: rstest.end,
                with: format!("\n{indent}{}", partest_test(&serial_arg)),
            });
            out.converted.push("#[rstest]");
            converted_test = true;
        }
        if let (Some(serial), true) = (serial, converted_test) {
            let (start, end) = whole_line(self.text, serial);
            edits.push(Edit {
                start,
                end,
                with: String::new(),
            });
            out.converted.push("#[serial]");
        }
        edits
    }

    /// What replaces `attr`, and whether that makes the function a partest test; `None`
    /// when it stays (skipped ones are noted in `out` with the reason).
    fn convert(
        &self,
        attr: &Attr,
        serial_arg: &[String],
        out: &mut Rewritten,
    ) -> Option<(String, bool)> {
        let path = attr.path.as_str();
        if is_std_test(path, self.imports_test) {
            out.converted.push("#[test]");
            return Some((partest_test(serial_arg), true));
        }
        if path == "tokio::test" {
            return match self.tokio_args(attr) {
                Ok(mut args) => {
                    out.tokio = true;
                    out.test_util |= args
                        .iter()
                        .any(|a| a.starts_with("start_paused") && a.ends_with("true"));
                    args.extend(serial_arg.iter().cloned());
                    out.converted.push("#[tokio::test]");
                    Some((partest_test(&args), true))
                }
                Err(why) => {
                    self.skip(out, attr, &why);
                    None
                }
            };
        }
        if matches!(
            path,
            "test_case" | "test_case::test_case" | "test_case::case"
        ) {
            let expects = attr
                .tokens
                .windows(2)
                .any(|w| w == [Tok::Punct('='), Tok::Punct('>')]);
            if expects {
                let why = "test-case's `=>` expectations have no partest form; assert in the body";
                self.skip(out, attr, why);
                return None;
            }
            let args = arguments(self.text, attr);
            out.converted.push("#[test_case]");
            return Some((format!("#[partest::test_case({args})]"), false));
        }
        if matches!(path, "test_matrix" | "test_case::test_matrix") {
            self.skip(out, attr, "test-case's test_matrix has no partest form; write its cases as #[partest::test_case]");
        } else if path.ends_with("::test") && !path.starts_with("partest::") {
            self.skip(
                out,
                attr,
                "it expands to std's #[test]; write #[partest::test] and do its set-up in the body",
            );
        }
        None
    }

    /// tokio's arguments as partest's, or why they cannot be.
    fn tokio_args(&self, attr: &Attr) -> Result<Vec<String>, String> {
        let raw = arguments(self.text, attr);
        let args: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        for arg in &args {
            let key = arg.split('=').next().unwrap_or("").trim();
            if !TOKIO_ARGS.contains(&key) {
                return Err(format!("tokio's `{key}` has no partest argument"));
            }
        }
        Ok(args)
    }
}

/// Removes `line` (a `use` that a conversion left unused) where it stands alone.
fn drop_line(text: &mut String, line: &str) {
    if let Some(at) = text.find(&format!("{line}\n")) {
        let starts_line = at == 0 || text.as_bytes()[at - 1] == b'\n';
        if starts_line {
            text.replace_range(at..at + line.len() + 1, "");
        }
    }
}

/// Rewrites `text`.
pub(crate) fn rewrite(text: &str) -> Rewritten {
    let tokens: Vec<Token> = lex(text);
    let imports_test = classify::imports_partest(&tokens, "test");
    let mut out = Rewritten::default();
    let mut edits: Vec<Edit> = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let outer = tokens[at].tok == Tok::Punct('#')
            && tokens.get(at + 1).map(|t| &t.tok) == Some(&Tok::Punct('['));
        if !outer {
            at += 1;
            continue;
        }
        let (attrs, next) = classify::attributes(&tokens, at);
        let group = Group {
            text,
            attrs: &attrs,
            name: classify::item_name(&tokens, next),
            line: tokens[at].line,
            imports_test,
        };
        edits.extend(group.edits(&mut out));
        at = next;
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.start));
    let mut new = text.to_owned();
    for e in edits {
        new.replace_range(e.start..e.end, &e.with);
    }
    let left = |form: &str| out.skipped.iter().any(|s| s.form.starts_with(form));
    if out.converted.contains(&"#[serial]") && !new.contains("#[serial") {
        drop_line(&mut new, "use serial_test::serial;");
    }
    if out.converted.contains(&"#[test_case]") && !left("#[test_case") {
        drop_line(&mut new, "use test_case::test_case;");
    }
    out.text = new;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_becomes_partests_and_the_rest_stays_byte_for_byte() {
        let before = r#"use serial_test::serial;
use test_case::test_case;

// #[test] in a comment stays
#[test]
#[serial(db)]
fn a() {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b() {}

#[test_case(1 ; "one")]
fn c(x: u32) {}

#[rstest]
#[case(1)]
fn d(#[case] x: u32) {}

#[async_std::test]
async fn e() {}
"#;
        let after = rewrite(before);
        let expected = r#"
// #[test] in a comment stays
#[partest::test(serial(db))]
fn a() {}

#[partest::test(flavor = "multi_thread", worker_threads = 2)]
async fn b() {}

#[partest::test_case(1 ; "one")]
fn c(x: u32) {}

#[rstest]
#[partest::test]
#[case(1)]
fn d(#[case] x: u32) {}

#[async_std::test]
async fn e() {}
"#;
        assert_eq!(after.text, expected);
        assert!(after.tokio && !after.test_util);
        assert_eq!(after.skipped.len(), 1);
        assert_eq!(after.skipped[0].name.as_deref(), Some("e"));
        // Idempotent.
        let again = rewrite(&after.text);
        assert_eq!(again.text, after.text);
        assert!(again.converted.is_empty());
    }

    #[test]
    fn what_has_no_partest_form_is_listed_with_why() {
        let after = rewrite("#[test_case(1 => 2)]\nfn f(x: u32) -> u32 { x }\n#[tokio::test(crate = \"t\")]\nasync fn g() {}\n");
        let whys: Vec<&str> = after.skipped.iter().map(|s| s.why.as_str()).collect();
        assert!(whys[0].contains("`=>` expectations"), "{whys:?}");
        assert!(whys[1].contains("tokio's `crate`"), "{whys:?}");
        assert_eq!(after.text, "#[test_case(1 => 2)]\nfn f(x: u32) -> u32 { x }\n#[tokio::test(crate = \"t\")]\nasync fn g() {}\n");
    }
}
