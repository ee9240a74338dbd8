//! The data-loss gate of `auto` and `downgrade`: a step that drops a table or a
//! column holding rows runs (or is written) only after a `y` on a terminal, or with
//! `--allow-data-loss`. Otherwise the command changes nothing and exits
//! [`REFUSED_EXIT`], naming what it would drop and how to go on.

use std::io::{BufRead, IsTerminal, Write};

use super::Context;

/// The exit code of a command refused because it would lose data.
pub const REFUSED_EXIT: u8 = 3;

/// A command that would lose data and was not confirmed: exits [`REFUSED_EXIT`].
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// What is gated: the question asked and the way to proceed in a script.
pub struct Gate<'a> {
    /// `write the migration`, `roll back`.
    pub action: &'a str,
    /// The command line hint, e.g. `db-migrate auto ... --allow-data-loss`.
    pub flag_hint: &'a str,
}

/// Passes when nothing is lost, `allow` is set, or the operator says yes on a
/// terminal (stdin and stdout, without `--json`); otherwise [`Refused`].
pub fn confirm(
    ctx: &Context<'_>,
    losses: &[impl std::fmt::Display],
    allow: bool,
    gate: &Gate<'_>,
) -> anyhow::Result<()> {
    if losses.is_empty() || allow {
        return Ok(());
    }
    let interactive =
        !ctx.global.json && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let listed = losses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if interactive {
        let yes = ask(
            losses,
            gate,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout(),
        )?;
        if yes {
            return Ok(());
        }
        return Err(Refused(format!(
            "not confirmed: nothing was done ({listed}); to {} anyway, answer y or pass \
             --allow-data-loss",
            gate.action
        ))
        .into());
    }
    Err(Refused(format!(
        "refusing to {} without confirmation, it loses data: {listed}; back the data up, \
         then confirm on a terminal or run {}",
        gate.action, gate.flag_hint
    ))
    .into())
}

/// Lists `losses` on `output` and asks; `y`/`yes` (any case) is yes, anything else
/// (or the end of input) no.
pub fn ask(
    losses: &[impl std::fmt::Display],
    gate: &Gate<'_>,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> std::io::Result<bool> {
    writeln!(output, "this loses data:")?;
    for loss in losses {
        writeln!(
            output,
            "  {}",
            schema_diff::display::visible(&loss.to_string())
        )?;
    }
    let question = format!("{} anyway?", capitalized(gate.action));
    crate::terminal::confirm(input, output, &question)
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schema_diff::lint::Loss;

    #[test]
    fn the_prompt_lists_the_counts_and_defaults_to_no() {
        let losses = vec![
            Loss {
                table: "legacy".into(),
                column: None,
                rows: 42,
            },
            Loss {
                table: "users".into(),
                column: Some("bio".into()),
                rows: 1,
            },
        ];
        let gate = Gate {
            action: "write the migration",
            flag_hint: "x",
        };
        let mut output = Vec::new();
        let yes = ask(&losses, &gate, &mut std::io::Cursor::new(""), &mut output).unwrap();
        assert!(!yes);
        assert_eq!(
            String::from_utf8(output).unwrap(),
            "this loses data:\n  table legacy holds 42 rows: dropping it loses them\n  \
             column users.bio holds a value in 1 row: dropping it loses them\n\
             Write the migration anyway? [y/N] \n"
        );
        let mut sink = Vec::new();
        assert!(
            ask(
                &losses,
                &gate,
                &mut std::io::Cursor::new("Yes\n"),
                &mut sink
            )
            .unwrap()
        );
    }
}
