//! The one door for untrusted text into a terminal or a Rust comment.
//!
//! Names read from a database, descriptions and hazard text may hold control
//! characters: a newline would break out of a `//` comment into code, an ANSI escape
//! sequence would repaint the operator's terminal, a right-to-left override would make
//! a line read differently from what it says. [`visible`] spells every such character
//! as a Rust-style escape (`\n`, `\u{1b}`, `\u{202e}`), so what is shown is what is
//! there.

use std::borrow::Cow;

/// `text` with every control character and every bidirectional formatting character
/// written as an escape; text without any is returned as is.
///
/// ```
/// use schema_diff::display::visible;
/// assert_eq!(visible("users"), "users");
/// assert_eq!(visible("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
/// ```
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether `c` is a control character (C0, DEL, C1), a line or paragraph separator, or
/// a character that changes the direction of the text around it.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(visible("users.email"), Cow::Borrowed(_)));
        assert_eq!(visible("naïve 名前"), "naïve 名前");
    }

    #[test]
    fn control_and_direction_characters_are_spelled_out() {
        assert_eq!(visible("a\r\nb\tc"), "a\\r\\nb\\tc");
        assert_eq!(visible("\u{1b}[2J"), "\\u{1b}[2J");
        assert_eq!(visible("x\0y\u{7f}"), "x\\u{0}y\\u{7f}");
        assert_eq!(visible("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(
            visible("\u{2066}\u{2069}\u{200f}"),
            "\\u{2066}\\u{2069}\\u{200f}"
        );
        assert_eq!(visible("\u{9b}31m"), "\\u{9b}31m");
        assert!(!visible("\u{2028}").contains('\u{2028}'));
    }
}
