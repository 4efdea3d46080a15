//! `PARTEST_ARGS`: partest options in one environment variable, split like a shell splits
//! words (`-m "slow and not db" --isolate process`), for runs where the command line goes
//! to other harnesses too (`cargo test` passes what follows `--` to every target, and a
//! libtest target refuses partest's flags). The command line wins where both set an option.

/// The variable's name.
pub(crate) const VAR: &str = "PARTEST_ARGS";

/// Splits `text` into words: whitespace separates; `'…'` keeps everything literally;
/// `"…"` keeps everything but `\"` and `\\`; a backslash outside quotes keeps the next
/// character.
pub(crate) fn split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            _ if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(format!("{VAR}: a ' is not closed in `{text}`")),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => w.push(e),
                            Some(other) => {
                                w.push('\\');
                                w.push(other);
                            }
                            None => return Err(format!("{VAR}: a \" is not closed in `{text}`")),
                        },
                        Some(c) => w.push(c),
                        None => return Err(format!("{VAR}: a \" is not closed in `{text}`")),
                    }
                }
            }
            '\\' => {
                let w = word.get_or_insert_with(String::new);
                match chars.next() {
                    Some(next) => w.push(next),
                    None => return Err(format!("{VAR}: `{text}` ends in a lone backslash")),
                }
            }
            _ => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// `args` with the words of `env` (the variable's value, if set) added after the options
/// and before a `--`, so that an option given on the command line wins (the first one
/// given counts).
pub(crate) fn merge(mut args: Vec<String>, env: Option<&str>) -> Result<Vec<String>, String> {
    let Some(text) = env else {
        return Ok(args);
    };
    let words = split(text)?;
    let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
    args.splice(at..at, words);
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell() {
        let w = |t: &str| split(t).unwrap();
        assert_eq!(
            w(r#"-m "slow and not db"  -v"#),
            ["-m", "slow and not db", "-v"]
        );
        assert_eq!(
            w(r#"--skip 'a b' x\ y "q\"t""#),
            ["--skip", "a b", "x y", "q\"t"]
        );
        assert_eq!(w("  "), Vec::<String>::new());
        assert_eq!(w("''"), [""]);
        assert!(split("-m 'slow").unwrap_err().contains("is not closed"));
    }

    #[test]
    fn the_command_line_comes_first_and_a_double_dash_stays_last() {
        let args = vec!["-m".into(), "fast".into(), "--".into(), "name".into()];
        let merged = merge(args, Some("-m slow -v")).unwrap();
        assert_eq!(merged, ["-m", "fast", "-m", "slow", "-v", "--", "name"]);
    }
}
