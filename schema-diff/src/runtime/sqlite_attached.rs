//! What a SQLite table carries that the IR does not model, read from
//! `sqlite_master` before a rebuild and put back after it: CHECK constraints, triggers,
//! partial and expression indexes. Views that read the table are checked afterwards.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, Value};

use crate::diff::sqlite_rules::mentions;
use crate::display::visible;

use super::quote;

/// The objects attached to one table, each as SQL that recreates it.
#[derive(Debug, Default)]
pub(super) struct Attached {
    /// What the table's definition says that a rebuild from the model cannot keep
    /// (collations, `STRICT`, `WITHOUT ROWID`, index sort orders).
    pub unkept: Vec<String>,
    /// The expressions of the table's CHECK constraints (column and table level).
    pub checks: Vec<String>,
    /// `(name, CREATE TRIGGER ...)`.
    pub triggers: Vec<(String, String)>,
    /// `(name, CREATE INDEX ...)` of partial and expression indexes.
    pub indexes: Vec<(String, String)>,
    /// Views whose definition names the table.
    pub views: Vec<String>,
}

impl Attached {
    /// Reads what is attached to `table`.
    pub async fn read(txn: &DatabaseTransaction, table: &str) -> Result<Self, DbErr> {
        let create: Option<String> = rows(
            txn,
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
            table,
        )
        .await?
        .into_iter()
        .next()
        .map(|(sql, _)| sql);
        let checks = create.as_deref().map(check_expressions).unwrap_or_default();
        let mut unkept: Vec<String> = create
            .as_deref()
            .map(|sql| unmodelled_words(sql, &["collate", "strict", "without"]))
            .unwrap_or_default()
            .into_iter()
            .map(|word| match word {
                "collate" => "a column collation (COLLATE)".to_owned(),
                "strict" => "STRICT typing".to_owned(),
                _ => "WITHOUT ROWID".to_owned(),
            })
            .collect();
        let sorted_indexes = rows(
            txn,
            "SELECT sql, name FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
            table,
        )
        .await?;
        for (sql, name) in sorted_indexes {
            if !unmodelled_words(&sql, &["collate", "desc"]).is_empty() {
                unkept.push(format!(
                    "the sort order or collation of index `{}`",
                    visible(&name)
                ));
            }
        }
        let triggers = rows(
            txn,
            "SELECT sql, name FROM sqlite_master \
             WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
            table,
        )
        .await?
        .into_iter()
        .map(|(sql, name)| (name, sql))
        .collect();
        let indexes = rows(
            txn,
            "SELECT m.sql, m.name FROM sqlite_master AS m \
             WHERE m.type = 'index' AND m.tbl_name = ? AND m.sql IS NOT NULL AND ( \
               EXISTS (SELECT 1 FROM pragma_index_list(m.tbl_name) AS l \
                       WHERE l.name = m.name AND l.partial = 1) \
               OR EXISTS (SELECT 1 FROM pragma_index_xinfo(m.name) AS x WHERE x.cid = -2)) \
             ORDER BY m.name",
            table,
        )
        .await?
        .into_iter()
        .map(|(sql, name)| (name, sql))
        .collect();
        let lower = table.to_lowercase();
        let all_views = "SELECT sql, name FROM sqlite_master WHERE type = 'view'";
        let views = txn
            .query_all_raw(Statement::from_string(DbBackend::Sqlite, all_views))
            .await?
            .iter()
            .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
            .collect::<Result<Vec<(String, String)>, DbErr>>()?
            .into_iter()
            .filter(|(sql, _)| mentions(&sql.to_lowercase(), &lower))
            .map(|(_, name)| name)
            .collect();
        Ok(Attached {
            unkept,
            checks,
            triggers,
            indexes,
            views,
        })
    }

    /// Refuses, before anything is changed, when the table's definition says what a
    /// rebuild cannot keep ([`Attached::unkept`]), or an attached object uses a column
    /// the rebuild drops: it could not be put back, and dropping it silently would lose
    /// a rule the database enforces.
    pub fn refuse_what_cannot_be_kept(&self, table: &str, dropped: &[String]) -> Result<(), DbErr> {
        if !self.unkept.is_empty() {
            return Err(DbErr::Migration(format!(
                "cannot rebuild SQLite table `{}`: it has {}, which a rebuild from the \
                 entities would not keep; change the table by hand (a `generate`d migration), \
                 nothing was changed",
                visible(table),
                self.unkept.join(", ")
            )));
        }
        let uses = |sql: &str| {
            let sql = sql.to_lowercase();
            dropped
                .iter()
                .find(|c| mentions(&sql, &c.to_lowercase()))
                .cloned()
        };
        let mut found = Vec::new();
        for check in &self.checks {
            if let Some(column) = uses(check) {
                found.push(format!(
                    "CHECK ({}) uses `{}`",
                    visible(check),
                    visible(&column)
                ));
            }
        }
        for (kind, list) in [("trigger", &self.triggers), ("index", &self.indexes)] {
            for (name, sql) in list {
                if let Some(column) = uses(sql) {
                    found.push(format!(
                        "{kind} `{}` uses `{}`",
                        visible(name),
                        visible(&column)
                    ));
                }
            }
        }
        if found.is_empty() {
            return Ok(());
        }
        Err(DbErr::Migration(format!(
            "cannot rebuild SQLite table `{}`: {}, which the migration drops; drop or change \
             {} by hand first (nothing was changed)",
            visible(table),
            found.join("; "),
            if found.len() == 1 { "it" } else { "them" }
        )))
    }

    /// Recreates the triggers and indexes after the rebuilt table took the old name,
    /// then checks that every view reading the table still works.
    pub async fn restore(&self, txn: &DatabaseTransaction, table: &str) -> Result<(), DbErr> {
        for (kind, list) in [("index", &self.indexes), ("trigger", &self.triggers)] {
            for (name, sql) in list {
                txn.execute_unprepared(sql).await.map_err(|e| {
                    DbErr::Migration(format!(
                        "rebuilding SQLite table `{}`: cannot recreate {kind} `{}`: {e}; the \
                         rebuild was rolled back",
                        visible(table),
                        visible(name)
                    ))
                })?;
            }
        }
        for view in &self.views {
            let probe = format!("SELECT * FROM {} LIMIT 0", quote(view));
            txn.query_all_raw(Statement::from_string(DbBackend::Sqlite, probe))
                .await
                .map_err(|e| {
                    DbErr::Migration(format!(
                        "rebuilding SQLite table `{}` breaks view `{}`: {e}; the rebuild was \
                         rolled back (change the view by hand first)",
                        visible(table),
                        visible(view)
                    ))
                })?;
        }
        Ok(())
    }
}

/// `(first column, second column)` of `sql` with `table` bound to its one parameter.
async fn rows(
    txn: &DatabaseTransaction,
    sql: &str,
    table: &str,
) -> Result<Vec<(String, String)>, DbErr> {
    let stmt = Statement::from_sql_and_values(DbBackend::Sqlite, sql, [Value::from(table)]);
    txn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| {
            let first: String = row.try_get_by_index(0)?;
            let second: String = row.try_get_by_index(1).unwrap_or_default();
            Ok((first, second))
        })
        .collect()
}

/// The expressions inside every `CHECK (...)` of a `CREATE TABLE` statement, column
/// and table constraints alike, as written. Strings, quoted names and comments are
/// skipped whole, so a `CHECK` inside them does not count.
pub(super) fn check_expressions(create_sql: &str) -> Vec<String> {
    let chars: Vec<char> = create_sql.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = skip_quoted_or_comment(&chars, i) {
            i = end;
            continue;
        }
        let c = chars[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word.eq_ignore_ascii_case("check") {
                let mut j = i;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if chars.get(j) == Some(&'(')
                    && let Some(close) = matching_paren(&chars, j)
                {
                    let inner: String = chars[j + 1..close].iter().collect();
                    found.push(inner.trim().to_owned());
                    i = close + 1;
                }
            }
            continue;
        }
        i += 1;
    }
    found
}

/// Which of `words` (lowercase) stand in `sql` as keywords: outside strings, quoted
/// names and comments.
fn unmodelled_words(sql: &str, words: &[&'static str]) -> Vec<&'static str> {
    let chars: Vec<char> = sql.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = skip_quoted_or_comment(&chars, i) {
            i = end;
            continue;
        }
        if chars[i].is_alphabetic() || chars[i] == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            if let Some(w) = words.iter().find(|w| **w == word)
                && !found.contains(w)
            {
                found.push(*w);
            }
            continue;
        }
        i += 1;
    }
    found
}

/// The index just past a string, quoted name or comment starting at `i`, if one does.
fn skip_quoted_or_comment(chars: &[char], i: usize) -> Option<usize> {
    let close = match chars[i] {
        '\'' => '\'',
        '"' => '"',
        '`' => '`',
        '[' => ']',
        '-' if chars.get(i + 1) == Some(&'-') => {
            let end = chars[i..].iter().position(|&c| c == '\n');
            return Some(end.map_or(chars.len(), |e| i + e + 1));
        }
        '/' if chars.get(i + 1) == Some(&'*') => {
            let rest: String = chars[i + 2..].iter().collect();
            return Some(
                rest.find("*/")
                    .map_or(chars.len(), |e| i + 2 + rest[..e].chars().count() + 2),
            );
        }
        _ => return None,
    };
    let mut j = i + 1;
    while j < chars.len() {
        if chars[j] == close {
            // A doubled quote is an escaped one.
            if close != ']' && chars.get(j + 1) == Some(&close) {
                j += 2;
                continue;
            }
            return Some(j + 1);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The index of the `)` closing the `(` at `open`.
fn matching_paren(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < chars.len() {
        if let Some(end) = skip_quoted_or_comment(chars, i) {
            i = end;
            continue;
        }
        match chars[i] {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{check_expressions, unmodelled_words};

    #[test]
    fn options_a_rebuild_cannot_keep_are_found_outside_quotes() {
        let sql = "CREATE TABLE t (a TEXT COLLATE NOCASE, \"strict\" INT, b TEXT DEFAULT 'without') \
                   STRICT";
        assert_eq!(
            unmodelled_words(sql, &["collate", "strict", "without"]),
            ["collate", "strict"]
        );
        assert!(unmodelled_words("CREATE TABLE t (a TEXT)", &["collate"]).is_empty());
    }

    #[test]
    fn checks_are_found_at_every_level_and_nowhere_else() {
        let sql = "CREATE TABLE \"t\" (id INTEGER PRIMARY KEY, \
                   age INTEGER CHECK (age >= 0 AND (age < 200)), \
                   note TEXT DEFAULT 'CHECK (1)' -- CHECK (2)\n, \
                   \"check\" TEXT, /* check (3) */ \
                   CONSTRAINT named CHECK(length(note) < 10 OR note = ')'))";
        assert_eq!(
            check_expressions(sql),
            [
                "age >= 0 AND (age < 200)",
                "length(note) < 10 OR note = ')'"
            ]
        );
        assert!(check_expressions("CREATE TABLE x (a)").is_empty());
    }
}
