//! Marker expressions (`-m EXPR`) with pytest's grammar: marker names, `and`, `or`, `not`,
//! parentheses; `not` binds tighter than `and`, which binds tighter than `or`. The main
//! type is [`MarkerExpr`]. A test's marker set ([`markers_of`]) holds its custom markers
//! plus the built-in ones: `serial` (also for `serial(key)`), `serial_KEY`,
//! `heavy_resource`, `redis_isolated`, `group_NAME`, `resource_NAME`.

use crate::claims::Claim;
use std::fmt;

/// A parsed `-m` expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarkerExpr {
    /// A marker name: true when the test carries it.
    Marker(String),
    /// `not x`.
    Not(Box<MarkerExpr>),
    /// `x and y`.
    And(Box<MarkerExpr>, Box<MarkerExpr>),
    /// `x or y`.
    Or(Box<MarkerExpr>, Box<MarkerExpr>),
}

/// A malformed expression: where (1-based column) and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerExprError {
    expression: String,
    column: usize,
    expected: &'static str,
    found: String,
}

impl fmt::Display for MarkerExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A huge expression is shown by its start: the column says where the error is.
        let shown: String = match self.expression.chars().count() > 80 {
            true => self
                .expression
                .chars()
                .take(60)
                .chain("…".chars())
                .collect(),
            false => self.expression.clone(),
        };
        write!(
            f,
            "invalid -m expression `{shown}`: expected {} at column {}, found {}",
            self.expected, self.column, self.found
        )
    }
}

impl std::error::Error for MarkerExprError {}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Name(String),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn describe(token: Option<&(usize, Token)>) -> String {
    match token {
        None => "the end of the expression".into(),
        Some((_, Token::Name(n))) => format!("`{n}`"),
        Some((_, Token::And)) => "`and`".into(),
        Some((_, Token::Or)) => "`or`".into(),
        Some((_, Token::Not)) => "`not`".into(),
        Some((_, Token::Open)) => "`(`".into(),
        Some((_, Token::Close)) => "`)`".into(),
    }
}

/// How deep `not` and parentheses may nest, and how many `and`/`or` an expression may
/// hold: enough for any real selection, and the parser and matcher (both recursive) stay
/// far from the stack's end.
const MAX_NESTING: usize = 64;
const MAX_OPERATORS: usize = 256;

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(usize, Token)>,
    at: usize,
    /// `not`s and `(`s open around the current token.
    nesting: usize,
    /// `and`s and `or`s read so far.
    operators: usize,
}

impl Parser<'_> {
    fn error(&self, expected: &'static str) -> MarkerExprError {
        let column = self
            .tokens
            .get(self.at)
            .map_or(self.text.chars().count() + 1, |(c, _)| *c);
        MarkerExprError {
            expression: self.text.to_owned(),
            column,
            expected,
            found: describe(self.tokens.get(self.at)),
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(_, t)| t)
    }

    /// Steps past an `and` or `or`, refusing one past [`MAX_OPERATORS`].
    fn operator(&mut self) -> Result<(), MarkerExprError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(self.error("at most 256 `and`/`or` in one expression"));
        }
        self.at += 1;
        Ok(())
    }

    /// Steps into a `not` or `(`, refusing to nest past [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), MarkerExprError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error("`not` and `(` nested at most 64 deep"));
        }
        self.at += 1;
        Ok(())
    }

    fn or(&mut self) -> Result<MarkerExpr, MarkerExprError> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.operator()?;
            left = MarkerExpr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<MarkerExpr, MarkerExprError> {
        let mut left = self.not()?;
        while self.peek() == Some(&Token::And) {
            self.operator()?;
            left = MarkerExpr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<MarkerExpr, MarkerExprError> {
        match self.peek() {
            Some(Token::Not) => {
                self.enter()?;
                let inner = self.not()?;
                self.nesting -= 1;
                Ok(MarkerExpr::Not(Box::new(inner)))
            }
            Some(Token::Open) => {
                self.enter()?;
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(self.error("`)`, `and` or `or`"));
                }
                self.at += 1;
                self.nesting -= 1;
                Ok(inner)
            }
            Some(Token::Name(name)) => {
                let name = name.clone();
                self.at += 1;
                Ok(MarkerExpr::Marker(name))
            }
            _ => Err(self.error("a marker name, `not` or `(`")),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, MarkerExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' || c == ')' {
            tokens.push((column, if c == '(' { Token::Open } else { Token::Close }));
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let token = match word.as_str() {
                "and" => Token::And,
                "or" => Token::Or,
                "not" => Token::Not,
                _ => Token::Name(word),
            };
            tokens.push((column, token));
        } else {
            return Err(MarkerExprError {
                expression: text.to_owned(),
                column,
                expected: "a marker name, `and`, `or`, `not`, `(` or `)`",
                found: format!("`{c}`"),
            });
        }
    }
    Ok(tokens)
}

impl fmt::Display for MarkerExpr {
    /// The expression in `-m`'s grammar, parenthesised where precedence needs it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let grouped = |e: &MarkerExpr, inside_and: bool| match e {
            MarkerExpr::Or(..) if inside_and => format!("({e})"),
            MarkerExpr::And(..) | MarkerExpr::Or(..) if !inside_and => e.to_string(),
            _ => e.to_string(),
        };
        match self {
            MarkerExpr::Marker(name) => f.write_str(name),
            MarkerExpr::Not(x) => match **x {
                MarkerExpr::Marker(_) | MarkerExpr::Not(_) => write!(f, "not {x}"),
                _ => write!(f, "not ({x})"),
            },
            MarkerExpr::And(a, b) => write!(f, "{} and {}", grouped(a, true), grouped(b, true)),
            MarkerExpr::Or(a, b) => write!(f, "{} or {}", grouped(a, false), grouped(b, false)),
        }
    }
}

impl MarkerExpr {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, MarkerExprError> {
        let mut parser = Parser {
            text,
            tokens: tokenize(text)?,
            at: 0,
            nesting: 0,
            operators: 0,
        };
        let expr = parser.or()?;
        if parser.at != parser.tokens.len() {
            return Err(parser.error("`and`, `or` or the end of the expression"));
        }
        Ok(expr)
    }

    /// The marker names the expression mentions, in order.
    pub fn names(&self) -> Vec<&str> {
        match self {
            MarkerExpr::Marker(name) => vec![name.as_str()],
            MarkerExpr::Not(x) => x.names(),
            MarkerExpr::And(a, b) | MarkerExpr::Or(a, b) => {
                let mut names = a.names();
                names.extend(b.names());
                names
            }
        }
    }

    /// Whether a test carrying `markers` is selected.
    pub fn matches(&self, markers: &[String]) -> bool {
        match self {
            MarkerExpr::Marker(name) => markers.iter().any(|m| m == name),
            MarkerExpr::Not(x) => !x.matches(markers),
            MarkerExpr::And(a, b) => a.matches(markers) && b.matches(markers),
            MarkerExpr::Or(a, b) => a.matches(markers) || b.matches(markers),
        }
    }
}

/// Every marker of a test with custom `markers` and `claims` (caps aside), built-in
/// ones included: custom, `serial` and `serial_KEY`, `heavy_resource`,
/// `redis_isolated`, `group_NAME`, `resource_NAME`.
pub(crate) fn markers_of(markers: &[&str], claims: &[Claim]) -> Vec<String> {
    let mut all: Vec<String> = markers.iter().map(|m| (*m).to_owned()).collect();
    let keys: Vec<String> = claims
        .iter()
        .filter_map(|c| match c {
            Claim::Key(k) => Some(format!("serial_{k}")),
            _ => None,
        })
        .collect();
    if claims.contains(&Claim::Serial) || !keys.is_empty() {
        all.push("serial".into());
    }
    all.extend(keys);
    if claims.contains(&Claim::Heavy) {
        all.push("heavy_resource".into());
    }
    if claims.contains(&Claim::Redis) {
        all.push("redis_isolated".into());
    }
    for claim in claims {
        if let Claim::Group(group) = claim {
            all.push(format!("group_{}", declared_group(group)));
        }
    }
    for claim in claims {
        if let Claim::Pool { name, .. } = claim {
            all.push(format!("resource_{name}"));
        }
    }
    all
}

/// A group's name as the test declared it: `cargo partest` keeps the groups of different
/// binaries apart by a `binaryN/` prefix, which is not part of the name.
fn declared_group(group: &str) -> &str {
    match group.split_once('/') {
        Some((binary, name))
            if binary
                .strip_prefix("binary")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            name
        }
        _ => group,
    }
}

/// The name among `known` closest to `name` when it is close enough to be a typo (at most
/// a third of its letters differ).
pub(crate) fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance between `a` and `b`, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Whether `name` is one of the built-in marker names (always declared).
pub(crate) fn is_builtin(name: &str) -> bool {
    ["serial", "heavy_resource", "redis_isolated"].contains(&name)
        || ["serial_", "group_", "resource_"]
            .iter()
            .any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests;
