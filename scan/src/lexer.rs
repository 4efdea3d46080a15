//! A small Rust lexer for the scan: identifiers, punctuation and groups with their line,
//! skipping comments (doc comments included: their code never runs as a test here),
//! strings, raw strings, byte strings, character literals and lifetimes. It does not
//! parse: it only has to find attributes, `mod` items and function names reliably.

/// One token of a source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// An identifier or keyword (`r#` stripped).
    Ident(String),
    /// A string literal's contents (escapes left as written).
    Str(String),
    /// One punctuation character (`#`, `:`, `!`, `;`, `=`, …), brackets included.
    Punct(char),
    /// Any other literal (numbers, characters).
    Other,
}

/// A token, the 1-based line it starts on and its byte range in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Its line.
    pub line: usize,
    /// Its first byte.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
}

/// Splits `text` into tokens.
pub fn lex(text: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        at: 0,
        byte: 0,
        line: 1,
        out: Vec::new(),
    };
    lexer.run();
    lexer.out
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    /// The byte offset of `at`.
    byte: usize,
    line: usize,
    out: Vec<Token>,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.at += 1;
        self.byte += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    /// Pushes a token that started at (`line`, byte `start`) and ends here.
    fn push(&mut self, tok: Tok, (line, start): (usize, usize)) {
        let end = self.byte;
        self.out.push(Token {
            tok,
            line,
            start,
            end,
        });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            let line = (self.line, self.byte);
            match c {
                _ if c.is_whitespace() => {
                    self.bump();
                }
                '/' if self.peek(1) == Some('/') => self.line_comment(),
                '/' if self.peek(1) == Some('*') => self.block_comment(),
                '"' => {
                    self.bump();
                    let s = self.quoted();
                    self.push(Tok::Str(s), line);
                }
                '\'' => self.quote_or_lifetime(line),
                _ if c.is_alphabetic() || c == '_' => self.word(line),
                _ if c.is_ascii_digit() => {
                    while self
                        .peek(0)
                        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                    {
                        self.bump();
                    }
                    self.push(Tok::Other, line);
                }
                _ => {
                    self.bump();
                    self.push(Tok::Punct(c), line);
                }
            }
        }
    }

    fn line_comment(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    fn block_comment(&mut self) {
        self.bump();
        self.bump();
        let mut depth = 1;
        while depth > 0 {
            match (self.bump(), self.peek(0)) {
                (Some('/'), Some('*')) => {
                    self.bump();
                    depth += 1;
                }
                (Some('*'), Some('/')) => {
                    self.bump();
                    depth -= 1;
                }
                (None, _) => return,
                _ => {}
            }
        }
    }

    /// The rest of a `"…"` string, the opening quote consumed.
    fn quoted(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    s.push(c);
                    if let Some(next) = self.bump() {
                        s.push(next);
                    }
                }
                '"' => break,
                _ => s.push(c),
            }
        }
        s
    }

    /// The rest of `r"…"` / `r#"…"#`, at the first `#` or quote.
    fn raw(&mut self) -> String {
        let mut hashes = 0;
        while self.peek(0) == Some('#') {
            self.bump();
            hashes += 1;
        }
        self.bump(); // the quote
        let mut s = String::new();
        while let Some(c) = self.bump() {
            if c == '"' && (0..hashes).all(|i| self.peek(i) == Some('#')) {
                (0..hashes).for_each(|_| {
                    self.bump();
                });
                break;
            }
            s.push(c);
        }
        s
    }

    fn quote_or_lifetime(&mut self, line: (usize, usize)) {
        self.bump();
        // A character literal closes within a few characters; a lifetime does not.
        let close = match self.peek(0) {
            Some('\\') => (2..12).find(|&i| self.peek(i) == Some('\'')),
            Some(_) if self.peek(1) == Some('\'') => Some(1),
            _ => None,
        };
        match close {
            Some(n) => {
                (0..=n).for_each(|_| {
                    self.bump();
                });
                self.push(Tok::Other, line);
            }
            None => {
                while self
                    .peek(0)
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
                {
                    self.bump();
                }
                self.push(Tok::Other, line);
            }
        }
    }

    fn word(&mut self, line: (usize, usize)) {
        let start = self.at;
        while self
            .peek(0)
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            self.bump();
        }
        let word: String = self.chars[start..self.at].iter().collect();
        match (word.as_str(), self.peek(0)) {
            ("r" | "br" | "cr", Some('"' | '#'))
                if self.peek(0) == Some('"') || matches!(self.peek(1), Some('"' | '#')) =>
            {
                let s = self.raw();
                self.push(Tok::Str(s), line);
            }
            ("b" | "c", Some('"')) => {
                self.bump();
                let s = self.quoted();
                self.push(Tok::Str(s), line);
            }
            ("b", Some('\'')) => self.quote_or_lifetime(line),
            ("r", Some('#')) if self.peek(1).is_some_and(|c| c.is_alphabetic() || c == '_') => {
                self.bump();
                let start = self.at;
                while self
                    .peek(0)
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
                {
                    self.bump();
                }
                let raw: String = self.chars[start..self.at].iter().collect();
                self.push(Tok::Ident(raw), line);
            }
            _ => self.push(Tok::Ident(word), line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(text: &str) -> Vec<String> {
        lex(text)
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Ident(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn comments_strings_and_literals_hide_what_is_in_them() {
        let text = "// #[test] fn a\n/* #[test] /* nested */ fn b */ fn c() { \"#[test] fn d\"; \
                    r#\"fn e\"#; 'x'; '\\n'; b'y'; }\n/// #[test] fn f\nfn g<'a>(x: &'a str) {}";
        assert_eq!(idents(text), ["fn", "c", "fn", "g", "x", "str"]);
    }

    #[test]
    fn tokens_carry_their_line_and_bytes() {
        let text = "#[test]\n\nfn one() {}\n";
        let toks = lex(text);
        let first = &toks[0];
        assert_eq!(
            (&first.tok, first.line, first.start, first.end),
            (&Tok::Punct('#'), 1, 0, 1)
        );
        let name = toks
            .iter()
            .find(|t| t.tok == Tok::Ident("one".into()))
            .unwrap();
        assert_eq!((name.line, &text[name.start..name.end]), (3, "one"));
        let text = "é \"ü\" x";
        let toks = lex(text);
        assert_eq!(&text[toks[1].start..toks[1].end], "\"ü\"");
        assert_eq!(&text[toks[2].start..toks[2].end], "x");
    }
}
