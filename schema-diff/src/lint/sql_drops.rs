//! What a run of SQL statements drops, read conservatively from the text: the down
//! steps of hand-written modules cannot be turned back into [`Change`](crate::Change)s,
//! but their captured SQL names what they destroy.
//!
//! Recognised (any case, identifiers bare or quoted with `"` or `` ` ``):
//! `DROP TABLE [IF EXISTS] a, b`, `TRUNCATE [TABLE] a`, `DELETE FROM a` (counted as
//! losing every row), `ALTER TABLE a DROP [COLUMN]
//! [IF EXISTS] c` (several clauses too), `ALTER TABLE a RENAME TO b`, `ALTER TABLE a
//! RENAME COLUMN c TO d`, `ALTER TABLE a ADD [COLUMN] c`, `CREATE TABLE b`, and a
//! SQLite rebuild (`INSERT INTO new ... SELECT ... FROM a`, then `DROP TABLE a`): the
//! rows move to `new`, and the columns of `a` the `SELECT` does not name are dropped.
//! Names are followed through renames back to the tables and columns of the live
//! schema, matched regardless of case when no exact match exists; objects the
//! statements create hold no rows and are not reported.

use std::collections::HashMap;

use super::loss::Dropped;
use crate::Schema;

/// The live tables and columns `statements`, run in order on a database whose
/// schema is `actual`, drop (or empty).
pub fn dropped_by_sql(statements: &[String], actual: &Schema) -> Vec<Dropped> {
    let mut state = State {
        actual,
        tables: actual
            .tables
            .iter()
            .map(|t| (t.name.clone(), Some(t.name.clone())))
            .collect(),
        columns: HashMap::new(),
        copies: HashMap::new(),
        out: Vec::new(),
    };
    for statement in statements {
        state.statement(&tokens(statement));
    }
    state.out
}

struct State<'a> {
    actual: &'a Schema,
    /// Current table name → the live table it is (`None`: created by the statements).
    tables: HashMap<String, Option<String>>,
    /// Live table → current column name → the live column (`None`: added).
    columns: HashMap<String, HashMap<String, Option<String>>>,
    /// New table → (live table copied into it, identifiers of the `SELECT`).
    copies: HashMap<String, (String, Vec<String>)>,
    out: Vec<Dropped>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Punct(char),
}

impl Token {
    fn is(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn name(&self) -> Option<&str> {
        match self {
            Token::Word(w) | Token::Quoted(w) => Some(w),
            Token::Punct(_) => None,
        }
    }
}

fn tokens(sql: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if matches!(c, '"' | '`' | '\'') {
            let mut text = String::new();
            while let Some(d) = chars.next() {
                if d == c {
                    if chars.peek() == Some(&c) {
                        chars.next();
                        text.push(c);
                        continue;
                    }
                    break;
                }
                text.push(d);
            }
            // String literals are kept out of names.
            out.push(if c == '\'' {
                Token::Punct('\'')
            } else {
                Token::Quoted(text)
            });
        } else if c.is_alphanumeric() || c == '_' {
            let mut word = String::from(c);
            while let Some(&d) = chars.peek() {
                if d.is_alphanumeric() || d == '_' || d == '$' {
                    word.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token::Word(word));
        } else {
            out.push(Token::Punct(c));
        }
    }
    out
}

/// The name at `i`, skipping a schema qualifier (`main.t`, `public.t`).
fn name_at(t: &[Token], i: usize) -> Option<(String, usize)> {
    let first = t.get(i)?.name()?.to_owned();
    if t.get(i + 1) == Some(&Token::Punct('.')) {
        let second = t.get(i + 2)?.name()?.to_owned();
        return Some((second, i + 3));
    }
    Some((first, i + 1))
}

/// `IF EXISTS` / `IF NOT EXISTS` at `i`: the index after it.
fn skip_if(t: &[Token], mut i: usize) -> usize {
    if t.get(i).is_some_and(|w| w.is("IF")) {
        i += 1;
        if t.get(i).is_some_and(|w| w.is("NOT")) {
            i += 1;
        }
        if t.get(i).is_some_and(|w| w.is("EXISTS")) {
            i += 1;
        }
    }
    i
}

/// Words after `DROP` in `ALTER TABLE` that do not name a column.
const NOT_COLUMNS: &[&str] = &[
    "INDEX",
    "KEY",
    "CONSTRAINT",
    "FOREIGN",
    "PRIMARY",
    "DEFAULT",
    "NOT",
    "CHECK",
    "PARTITION",
    "EXPRESSION",
    "IDENTITY",
    "UNIQUE",
];

impl State<'_> {
    fn statement(&mut self, t: &[Token]) {
        let at = |i: usize, k: &str| t.get(i).is_some_and(|w| w.is(k));
        if at(0, "DROP") && at(1, "TABLE") {
            let mut i = skip_if(t, 2);
            while let Some((name, next)) = name_at(t, i) {
                let name = self.known(name);
                self.drop_table(&name);
                if t.get(next) != Some(&Token::Punct(',')) {
                    break;
                }
                i = next + 1;
            }
        } else if at(0, "TRUNCATE") || (at(0, "DELETE") && at(1, "FROM")) {
            // A DELETE may keep some rows; it is counted as losing them all.
            let i = if at(1, "TABLE") || at(1, "FROM") {
                2
            } else {
                1
            };
            if let Some((name, _)) = name_at(t, i)
                && let Some(Some(live)) = self.tables.get(&self.known(name))
            {
                self.out.push(Dropped::Table {
                    table: live.clone(),
                });
            }
        } else if at(0, "CREATE") && (at(1, "TABLE") || at(2, "TABLE")) {
            let start = if at(1, "TABLE") { 2 } else { 3 };
            let i = skip_if(t, start);
            if let Some((name, _)) = name_at(t, i)
                && !(i != start && self.tables.contains_key(&name))
            {
                self.tables.insert(name, None);
            }
        } else if at(0, "INSERT") && at(1, "INTO") {
            self.insert(t);
        } else if at(0, "ALTER")
            && at(1, "TABLE")
            && let Some((name, i)) = name_at(t, skip_if(t, 2))
        {
            let name = self.known(name);
            self.alter(&name, &t[i..]);
        }
    }

    /// `name` as the statements' tables spell it: itself when known, else a known
    /// name equal to it but for case (PostgreSQL folds unquoted names, SQLite and
    /// most MySQL servers compare them case-insensitively). Erring towards a match
    /// only ever counts more rows at risk.
    fn known(&self, name: String) -> String {
        if self.tables.contains_key(&name) {
            return name;
        }
        self.tables
            .keys()
            .find(|k| k.eq_ignore_ascii_case(&name))
            .cloned()
            .unwrap_or(name)
    }

    fn drop_table(&mut self, name: &str) {
        let Some(Some(live)) = self.tables.remove(name) else {
            return;
        };
        // A SQLite rebuild: the rows moved to the copy, minus the columns it left out.
        let copy = self
            .copies
            .iter()
            .find(|(_, (source, _))| *source == live)
            .map(|(new, (_, names))| (new.clone(), names.clone()));
        if let Some((new, names)) = copy
            && self.tables.get(&new) == Some(&None)
        {
            for column in self.current_columns(&live) {
                if !names.contains(&column.0) {
                    self.out.push(Dropped::Column {
                        table: live.clone(),
                        column: column.1,
                    });
                }
            }
            self.copies.remove(&new);
            self.columns.remove(&live);
            self.tables.insert(new, Some(live));
            return;
        }
        self.out.push(Dropped::Table { table: live });
    }

    /// `(current name, live name)` of every live column of `live` still there.
    fn current_columns(&self, live: &str) -> Vec<(String, String)> {
        let overrides = self.columns.get(live);
        let mut out: Vec<(String, String)> = Vec::new();
        if let Some(table) = self.actual.table(live) {
            for column in &table.columns {
                let renamed = overrides.is_some_and(|o| {
                    o.values()
                        .any(|v| v.as_deref() == Some(column.name.as_str()))
                        || o.contains_key(&column.name)
                });
                if !renamed {
                    out.push((column.name.clone(), column.name.clone()));
                }
            }
        }
        if let Some(o) = overrides {
            for (current, before) in o {
                if let Some(before) = before {
                    out.push((current.clone(), before.clone()));
                }
            }
        }
        out
    }

    fn insert(&mut self, t: &[Token]) {
        let Some((target, _)) = name_at(t, 2) else {
            return;
        };
        let Some(select) = t.iter().position(|w| w.is("SELECT")) else {
            return;
        };
        let Some(from) = t.iter().rposition(|w| w.is("FROM")).filter(|&f| f > select) else {
            return;
        };
        let Some((source, _)) = name_at(t, from + 1) else {
            return;
        };
        if let Some(Some(live)) = self.tables.get(&source) {
            let names = t[select + 1..from]
                .iter()
                .filter_map(|w| w.name().map(str::to_owned))
                .collect();
            self.copies.insert(target, (live.clone(), names));
        }
    }

    fn alter(&mut self, table: &str, t: &[Token]) {
        let at = |i: usize, k: &str| t.get(i).is_some_and(|w| w.is(k));
        let live = self.tables.get(table).cloned().flatten();
        if at(0, "RENAME") && (at(1, "TO") || at(1, "AS")) {
            if let Some((new, _)) = name_at(t, 2) {
                let entry = self.tables.remove(table).flatten();
                self.tables.insert(new, entry);
            }
            return;
        }
        let Some(live) = live else {
            return;
        };
        if at(0, "RENAME") && at(1, "COLUMN") {
            if let (Some(old), true) = (t.get(2).and_then(Token::name), at(3, "TO"))
                && let Some(new) = t.get(4).and_then(Token::name)
            {
                let before = self.live_column(&live, old);
                let map = self.columns.entry(live.clone()).or_default();
                map.insert(old.to_owned(), None);
                map.insert(new.to_owned(), before);
            }
            return;
        }
        // Clauses separated by top-level commas.
        let mut depth = 0;
        let mut start = 0;
        for i in 0..=t.len() {
            let end = i == t.len();
            if !end {
                match t[i] {
                    Token::Punct('(') => depth += 1,
                    Token::Punct(')') => depth -= 1,
                    _ => {}
                }
            }
            if end || (depth == 0 && t[i] == Token::Punct(',')) {
                self.clause(&live, &t[start..i]);
                start = i + 1;
            }
        }
    }

    fn clause(&mut self, live: &str, t: &[Token]) {
        let at = |i: usize, k: &str| t.get(i).is_some_and(|w| w.is(k));
        let verb_add = at(0, "ADD");
        if !(at(0, "DROP") || verb_add) {
            return;
        }
        let mut i = if at(1, "COLUMN") { 2 } else { 1 };
        if NOT_COLUMNS.iter().any(|k| at(i, k)) {
            return;
        }
        i = skip_if(t, i);
        let Some(column) = t.get(i).and_then(Token::name) else {
            return;
        };
        if verb_add {
            self.columns
                .entry(live.to_owned())
                .or_default()
                .insert(column.to_owned(), None);
            return;
        }
        if let Some(before) = self.live_column(live, column) {
            self.out.push(Dropped::Column {
                table: live.to_owned(),
                column: before,
            });
        }
        self.columns
            .entry(live.to_owned())
            .or_default()
            .insert(column.to_owned(), None);
    }

    /// The live column `current` of `live` is, if it is one.
    fn live_column(&self, live: &str, current: &str) -> Option<String> {
        if let Some(entry) = self.columns.get(live).and_then(|m| m.get(current)) {
            return entry.clone();
        }
        self.actual
            .table(live)?
            .column(current)
            .map(|c| c.name.clone())
    }
}
