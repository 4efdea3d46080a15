//! Escaping for the machine-readable formats: [`Json`] string bodies and [`Xml`] text.

use std::fmt;

/// Displays a string as the inside of a JSON string literal.
pub(crate) struct Json<'a>(pub(crate) &'a str);

impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut start = 0;
        for (i, byte) in self.0.bytes().enumerate() {
            let escaped: std::borrow::Cow<'static, str> = match byte {
                b'"' => "\\\"".into(),
                b'\\' => "\\\\".into(),
                b'\n' => "\\n".into(),
                b'\r' => "\\r".into(),
                b'\t' => "\\t".into(),
                0x08 => "\\b".into(),
                0x0c => "\\f".into(),
                0x00..=0x1f | 0x7f => format!("\\u{byte:04x}").into(),
                _ => continue,
            };
            f.write_str(&self.0[start..i])?;
            f.write_str(&escaped)?;
            start = i + 1;
        }
        f.write_str(&self.0[start..])
    }
}

/// Displays a string as XML text or attribute content (control characters XML 1.0
/// cannot hold become `\u{..}`).
pub(crate) struct Xml<'a>(pub(crate) &'a str);

impl fmt::Display for Xml<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&apos;")?,
                '\n' => f.write_str("&#10;")?,
                '\t' | '\r' => write!(f, "&#{};", c as u32)?,
                c if (c as u32) < 0x20 => write!(f, "\\u{{{:x}}}", c as u32)?,
                c => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_quotes_controls_and_keeps_unicode() {
        assert_eq!(
            Json("a\"b\\c\nd\u{1}é").to_string(),
            "a\\\"b\\\\c\\nd\\u0001é"
        );
    }

    #[test]
    fn xml_escapes_markup_and_controls() {
        assert_eq!(
            Xml("<a & 'b'>\u{2}").to_string(),
            "&lt;a &amp; &apos;b&apos;&gt;\\u{2}"
        );
    }
}
