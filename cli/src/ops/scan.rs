//! Checking a SQL dump whole before anything is touched: it must end with its
//! dump tool's completion line (a cut-off file does not), and it must not hold
//! client commands, which would run on the operator's machine.
//!
//! PostgreSQL dumps are read line by line by [`PgLines`], the one reader both
//! this check and the loader ([`super::pg_load`]) use; they are never given to
//! `psql`, so no line of them is a client command. Outside `COPY ... FROM
//! stdin` data, a line starting with a backslash is refused, except pg_dump's
//! own `\restrict KEY` / `\unrestrict KEY` guards (skipped); `\connect` (a dump
//! made with `--create`, or one that switches to another database) is refused.
//!
//! MySQL/MariaDB dumps go to the `mariadb` client in `--sandbox` mode; before
//! that, lines starting with a client command that reaches outside the
//! database (`system`, `source`, `tee`, `pager`, `edit`, `connect`, `use`,
//! `quit`, `exit`) and backslash commands that are not string escapes
//! (`\!`, `\.`, `\q`, ...) are refused.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context as _, bail};

use super::target::Kind;

/// The last line of a complete `pg_dump` file (before `\unrestrict`).
pub const PG_TRAILER: &str = "-- PostgreSQL database dump complete";
/// How the last line of a complete `mariadb-dump`/`mysqldump` file starts.
pub const MYSQL_TRAILER: &str = "-- Dump completed";

/// What a line of a `pg_dump` file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PgLine {
    /// SQL for the server.
    Sql,
    /// `COPY ... FROM stdin;`: the lines after it are data, up to `\.`.
    CopyStart,
    /// A line of `COPY` data.
    CopyData,
    /// `\.`: the end of the `COPY` data.
    CopyEnd,
    /// pg_dump's `\restrict KEY` / `\unrestrict KEY`, which only `psql` reads.
    Guard,
}

/// Reads a `pg_dump` file's lines in order, knowing whether each is SQL or
/// `COPY` data; refuses client commands.
#[derive(Debug, Default)]
pub struct PgLines {
    in_copy: bool,
    line: u64,
}

impl PgLines {
    /// What `line` (without its line end) is; an error for a client command.
    pub fn classify(&mut self, line: &[u8]) -> anyhow::Result<PgLine> {
        self.line += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if self.in_copy {
            if line == b"\\." {
                self.in_copy = false;
                return Ok(PgLine::CopyEnd);
            }
            return Ok(PgLine::CopyData);
        }
        let text = String::from_utf8_lossy(line);
        let trimmed = text.trim_start();
        if let Some(command) = trimmed.strip_prefix('\\') {
            let mut words = command.split_whitespace();
            let name = words.next().unwrap_or("");
            let key = words.next();
            let guard = matches!(name, "restrict" | "unrestrict")
                && key.is_some_and(|k| k.chars().all(|c| c.is_ascii_alphanumeric()))
                && words.next().is_none();
            if guard {
                return Ok(PgLine::Guard);
            }
            if matches!(name, "c" | "connect") {
                bail!(
                    "line {}: `\\{name}` switches to another database (a dump made with \
                     pg_dump --create?); db-migrate restores into the configured database only: \
                     make the dump without --create",
                    self.line
                );
            }
            bail!(
                "line {}: the psql command `{}` is not SQL; db-migrate runs no client commands \
                 from a backup file (is it a pg_dump plain-format file?)",
                self.line,
                shown(trimmed)
            );
        }
        if is_copy_from_stdin(trimmed) {
            self.in_copy = true;
            return Ok(PgLine::CopyStart);
        }
        Ok(PgLine::Sql)
    }

    /// The number of the last line read (1-based).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Whether the last line read left a `COPY` open.
    pub fn in_copy(&self) -> bool {
        self.in_copy
    }
}

/// `COPY ... FROM stdin;` on one line, as pg_dump writes it.
fn is_copy_from_stdin(line: &str) -> bool {
    let upper = line.trim_end().to_ascii_uppercase();
    upper.starts_with("COPY ") && upper.ends_with(" FROM STDIN;")
}

/// At most 60 characters of `text`, control characters made visible.
fn shown(text: &str) -> String {
    text.chars()
        .take(60)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Checks the SQL dump `file` of backend `kind` whole; see the module docs.
pub fn check_dump(file: &Path, kind: Kind) -> anyhow::Result<()> {
    let result = match kind {
        Kind::Postgres => check_postgres(file),
        Kind::Mysql => check_mysql(file),
        Kind::Sqlite => Ok(()),
    };
    result.with_context(|| format!("`{}` cannot be restored", file.display()))
}

/// Calls `each` with every line of `file` (without its `\n`).
fn for_each_line(
    file: &Path,
    mut each: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let f =
        std::fs::File::open(file).with_context(|| format!("cannot open `{}`", file.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, f);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("cannot read `{}`", file.display()))?;
        if n == 0 {
            return Ok(());
        }
        each(buf.strip_suffix(b"\n").unwrap_or(&buf))?;
    }
}

fn check_postgres(file: &Path) -> anyhow::Result<()> {
    let mut lines = PgLines::default();
    let mut last = String::new();
    for_each_line(file, |line| {
        let kind = lines.classify(line)?;
        let text = String::from_utf8_lossy(line);
        // pg_dump closes its comment blocks with a bare `--`.
        if kind != PgLine::Guard && !matches!(text.trim(), "" | "--") {
            last = text.trim_end().to_owned();
        }
        Ok(())
    })?;
    if lines.in_copy() {
        bail!("it ends inside the data of a COPY: the file is incomplete (cut off?)");
    }
    if last != PG_TRAILER {
        bail!(
            "it does not end with pg_dump's `{PG_TRAILER}` line: the file is incomplete (cut \
             off?) or not a pg_dump plain-format dump"
        );
    }
    Ok(())
}

/// Client commands whose long form, at the start of a line, reaches outside
/// the database or ends the load early.
const MYSQL_LONG_COMMANDS: &[&str] = &[
    "system", "source", "tee", "notee", "pager", "nopager", "edit", "connect", "use", "quit",
    "exit",
];

/// What may follow an odd run of backslashes in a dump: string escapes, and
/// `\-` (mariadb-dump's own "enter sandbox mode" first line).
const MYSQL_ESCAPES: &[u8] = b"0'\"bnrtZ\\%_-";

fn check_mysql(file: &Path) -> anyhow::Result<()> {
    let mut number = 0u64;
    let mut last = String::new();
    for_each_line(file, |line| {
        number += 1;
        let text = String::from_utf8_lossy(line);
        let trimmed = text.trim();
        let first = trimmed
            .split(|c: char| c.is_whitespace() || c == ';')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if MYSQL_LONG_COMMANDS.contains(&first.as_str()) {
            bail!(
                "line {number}: `{}` is a mysql client command, not part of a dump; db-migrate \
                 runs no client commands from a backup file",
                shown(trimmed)
            );
        }
        if let Some(command) = short_command(line) {
            bail!(
                "line {number}: `\\{}` is a mysql client command, not part of a dump; \
                 db-migrate runs no client commands from a backup file",
                char::from(command)
            );
        }
        if !trimmed.is_empty() {
            last = trimmed.to_owned();
        }
        Ok(())
    })?;
    if !last.starts_with(MYSQL_TRAILER) {
        bail!(
            "it does not end with the dump tool's `{MYSQL_TRAILER} on ...` line: the file is \
             incomplete (cut off?) or was made with --skip-comments"
        );
    }
    Ok(())
}

/// The first character after an odd run of backslashes that is not a string
/// escape: the client would read `\X` as a command.
fn short_command(line: &[u8]) -> Option<u8> {
    let mut run = 0usize;
    for &b in line {
        if b == b'\\' {
            run += 1;
            continue;
        }
        if run % 2 == 1 && !MYSQL_ESCAPES.contains(&b) {
            return Some(b);
        }
        run = 0;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: Kind, text: &str) -> Result<(), String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("d.sql");
        std::fs::write(&path, text).expect("write");
        check_dump(&path, kind).map_err(|e| format!("{e:#}"))
    }

    const PG_OK: &str = "--\n-- PostgreSQL database dump\n--\n\\restrict abc123\nSET x = 1;\n\
        COPY public.t (a) FROM stdin;\n\\! not a command in data\n\\.\n\
        CREATE FUNCTION f() RETURNS text AS $$ SELECT '\\d' $$ LANGUAGE sql;\n\
        -- PostgreSQL database dump complete\n--\n\n\\unrestrict abc123\n";

    #[test]
    fn postgres_dumps_need_their_trailer_and_no_client_commands() {
        assert_eq!(check(Kind::Postgres, PG_OK), Ok(()));
        let cut = &PG_OK[..PG_OK.find("\\.").expect("end of copy")];
        assert!(check(Kind::Postgres, cut).is_err_and(|e| e.contains("inside the data")));
        let no_trailer = PG_OK.replace(PG_TRAILER, "-- nothing");
        assert!(check(Kind::Postgres, &no_trailer).is_err_and(|e| e.contains("does not end")));
        for bad in [
            "\\! id > /tmp/x",
            "  \\copy t from 'x'",
            "\\i other.sql",
            "\\restrict a b",
        ] {
            let text = PG_OK.replace("SET x = 1;", bad);
            let err = check(Kind::Postgres, &text).expect_err(bad);
            assert!(err.contains("line 5: the psql command"), "{err}");
        }
        let text = PG_OK.replace("SET x = 1;", "\\connect other");
        assert!(check(Kind::Postgres, &text).is_err_and(|e| e.contains("another database")));
    }

    const MY_OK: &str = "/*M!999999\\- enable the sandbox mode */\n-- MariaDB dump 10.19\n\
        INSERT INTO `t` VALUES ('a\\nb\\\\!c\\'d');\nDELIMITER ;;\nDELIMITER ;\n\
        -- Dump completed on 2026-01-01 10:00:00\n";

    #[test]
    fn mysql_dumps_need_their_trailer_and_no_client_commands() {
        assert_eq!(check(Kind::Mysql, MY_OK), Ok(()));
        let no_trailer = MY_OK.replace("-- Dump completed on", "--");
        assert!(check(Kind::Mysql, &no_trailer).is_err_and(|e| e.contains("does not end")));
        for bad in [
            "system id > /tmp/x",
            "SYSTEM id",
            "\\! id",
            "SELECT 1; \\! id",
            "source /etc/x",
            "\\. /etc/x",
            "use mysql;",
            "SELECT 1 \\q",
        ] {
            let text = MY_OK.replace("DELIMITER ;;\n", &format!("{bad}\n"));
            let err = check(Kind::Mysql, &text).expect_err(bad);
            assert!(err.contains("line 4:"), "{err}");
        }
    }
}
