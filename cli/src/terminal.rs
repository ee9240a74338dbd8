//! Human output: every line the commands print (`outln!`, `errln!` in
//! [`crate::output`]) goes through [`schema_diff::display::visible`], so a name holding a newline, an ANSI escape
//! sequence or a direction override is shown escaped instead of acting on the
//! operator's terminal. Machine output (`--json`) is serialised by serde_json, which
//! escapes control characters itself.

/// `line` with every control character (newlines included) made visible.
pub fn visible_line(line: &str) -> std::borrow::Cow<'_, str> {
    schema_diff::display::visible(line)
}

/// `text` with its line structure kept and every line made visible, for multi-line
/// output such as SQL scripts and unified diffs.
pub fn visible_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(body) => {
                out.push_str(&schema_diff::display::visible(body));
                out.push('\n');
            }
            None => out.push_str(&schema_diff::display::visible(line)),
        }
    }
    out
}

/// Asks `question [y/N]` on `output` (control characters made visible) and reads
/// one line of `input`: `y` or `yes` (any case) is a yes; anything else, or the end
/// of input, is a no.
pub fn confirm(
    input: &mut impl std::io::BufRead,
    output: &mut impl std::io::Write,
    question: &str,
) -> std::io::Result<bool> {
    // The question names tables and columns read from the database.
    write!(output, "{} [y/N] ", visible_line(question))?;
    output.flush()?;
    let mut answer = String::new();
    if input.read_line(&mut answer)? == 0 {
        writeln!(output)?;
        return Ok(false);
    }
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_show_control_characters_escaped() {
        let mut output = Vec::new();
        let yes = confirm(
            &mut std::io::Cursor::new("y\n"),
            &mut output,
            "Did you rename table legacy\rDrop everything?",
        )
        .expect("io");
        assert!(yes);
        assert_eq!(
            String::from_utf8(output).expect("utf-8"),
            "Did you rename table legacy\\rDrop everything? [y/N] "
        );
    }

    #[test]
    fn lines_stay_lines_and_controls_show() {
        assert_eq!(visible_lines("a\u{1b}[2J\nb\rc\n"), "a\\u{1b}[2J\nb\\rc\n");
        assert_eq!(visible_lines("x"), "x");
    }
}
