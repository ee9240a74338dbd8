//! SQLite introspection from four bulk queries.
//!
//! `sqlite_schema` is joined with the table-valued pragma functions
//! `pragma_table_xinfo`, `pragma_index_list` + `pragma_index_info` and
//! `pragma_foreign_key_list`: one query for the tables, one for all columns,
//! one for all indexes and one for all foreign keys, whatever the number of
//! tables. Declared types and defaults are read with
//! [`crate::dialect::sqlite::parse_type`] and
//! [`crate::dialect::sqlite::parse_default`].
//!
//! What is read: columns (type, NOT NULL, default, generated expression),
//! the primary key in key order, auto-increment (an `INTEGER PRIMARY KEY` rowid
//! alias, with or without `AUTOINCREMENT`), unique constraints (named as SQLite
//! names them, `sqlite_autoindex_<table>_<n>`), `CREATE INDEX` indexes, and
//! foreign keys with their actions (SQLite keeps no constraint names).
//!
//! Not reported (yet): partial indexes and indexes on expressions (both are
//! skipped whole), CHECK constraints, collations and index sort orders,
//! virtual tables, and the tables [`super::is_ignored_table`] names.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, TryGetable};

use crate::dialect::sqlite::{parse_default, parse_type};
use crate::error::Error;
use crate::ir::{Column, FkAction, ForeignKey, Generated, Index, Schema, Table};

/// Tables of the main schema, without virtual tables.
const TABLES: &str = "SELECT t.name AS tbl, t.sql AS sql FROM sqlite_schema AS t \
    WHERE t.type = 'table' AND t.sql NOT LIKE 'CREATE VIRTUAL %' ORDER BY t.name";

const COLUMNS: &str = "SELECT t.name AS tbl, c.cid AS cid, c.name AS name, c.type AS type, \
    c.\"notnull\" AS not_null, c.dflt_value AS dflt, c.pk AS pk, c.hidden AS hidden \
    FROM sqlite_schema AS t JOIN pragma_table_xinfo(t.name) AS c \
    WHERE t.type = 'table' AND t.sql NOT LIKE 'CREATE VIRTUAL %' ORDER BY t.name, c.cid";

const INDEXES: &str = "SELECT t.name AS tbl, il.name AS idx, il.\"unique\" AS is_unique, \
    il.origin AS origin, il.partial AS partial, ii.seqno AS seqno, ii.cid AS cid, ii.name AS col \
    FROM sqlite_schema AS t JOIN pragma_index_list(t.name) AS il \
    JOIN pragma_index_info(il.name) AS ii \
    WHERE t.type = 'table' AND t.sql NOT LIKE 'CREATE VIRTUAL %' \
    ORDER BY t.name, il.name, ii.seqno";

const FOREIGN_KEYS: &str = "SELECT t.name AS tbl, fk.id AS id, fk.seq AS seq, \
    fk.\"table\" AS ref_table, fk.\"from\" AS col, fk.\"to\" AS ref_col, \
    fk.on_update AS on_update, fk.on_delete AS on_delete \
    FROM sqlite_schema AS t JOIN pragma_foreign_key_list(t.name) AS fk \
    WHERE t.type = 'table' AND t.sql NOT LIKE 'CREATE VIRTUAL %' \
    ORDER BY t.name, fk.id, fk.seq";

/// Reads the schema of a SQLite database. See the module documentation for
/// what is covered.
pub async fn introspect<C: ConnectionTrait>(db: &C) -> Result<Schema, Error> {
    let query = |sql: &'static str| async move {
        db.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .map_err(|e| Error::Introspection {
                table: "*".into(),
                reason: format!("the SQLite catalog query failed: {e}; query: {sql}"),
            })
    };

    let mut tables: BTreeMap<String, (Table, sql::TableSql)> = BTreeMap::new();
    for row in query(TABLES).await? {
        let name: String = get(&row, "tbl", "*")?;
        if super::is_ignored_table(&name) {
            continue;
        }
        let create_sql: Option<String> = get(&row, "sql", &name)?;
        let parsed = sql::TableSql::parse(create_sql.as_deref().unwrap_or_default());
        let table = Table {
            name: name.clone(),
            ..Table::default()
        };
        tables.insert(name, (table, parsed));
    }

    read_columns(&mut tables, query(COLUMNS).await?)?;
    read_indexes(&mut tables, query(INDEXES).await?)?;
    let primary_keys: BTreeMap<String, Vec<String>> = tables
        .iter()
        .map(|(name, (t, _))| (name.clone(), t.primary_key.clone()))
        .collect();
    read_foreign_keys(&mut tables, &primary_keys, query(FOREIGN_KEYS).await?)?;

    let mut schema = Schema {
        tables: tables.into_values().map(|(t, _)| t).collect(),
        enums: Vec::new(),
    };
    schema.sort();
    Ok(schema)
}

/// One row of the column query.
struct ColumnRow {
    column: Column,
    declared: String,
    pk: i64,
}

fn read_columns(
    tables: &mut BTreeMap<String, (Table, sql::TableSql)>,
    rows: Vec<QueryResult>,
) -> Result<(), Error> {
    let mut by_table: BTreeMap<String, Vec<ColumnRow>> = BTreeMap::new();
    for row in &rows {
        let tbl: String = get(row, "tbl", "*")?;
        let Some((_, table_sql)) = tables.get(&tbl) else {
            continue;
        };
        let name: String = get(row, "name", &tbl)?;
        let declared: Option<String> = get(row, "type", &tbl)?;
        let not_null: i64 = get(row, "not_null", &tbl)?;
        let default: Option<String> = get(row, "dflt", &tbl)?;
        let pk: i64 = get(row, "pk", &tbl)?;
        let hidden: i64 = get(row, "hidden", &tbl)?;
        let column_sql = table_sql.column(&name);
        let generated = match hidden {
            0 => None,
            2 | 3 => {
                let expr = column_sql
                    .and_then(|c| c.generated.clone())
                    .ok_or_else(|| Error::Introspection {
                        table: tbl.clone(),
                        reason: format!(
                            "column `{name}` is generated but its expression could not be \
                             read from the table's SQL"
                        ),
                    })?;
                Some(Generated {
                    expr,
                    stored: hidden == 3,
                })
            }
            // Hidden columns of virtual tables: not part of the table's schema.
            _ => continue,
        };
        let declared = declared.unwrap_or_default();
        let mut column = Column::new(name, parse_type(&declared));
        column.nullable = not_null == 0;
        column.default = default.as_deref().map(parse_default);
        column.generated = generated;
        column.auto_increment = column_sql.is_some_and(|c| c.autoincrement);
        by_table.entry(tbl).or_default().push(ColumnRow {
            column,
            declared,
            pk,
        });
    }
    for (tbl, rows) in by_table {
        let Some((table, table_sql)) = tables.get_mut(&tbl) else {
            continue;
        };
        let mut pk: Vec<(i64, String)> = rows
            .iter()
            .filter(|r| r.pk > 0)
            .map(|r| (r.pk, r.column.name.clone()))
            .collect();
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, name)| name).collect();
        let single_pk = table.primary_key.len() == 1;
        for ColumnRow {
            mut column,
            declared,
            pk,
        } in rows
        {
            // An `INTEGER PRIMARY KEY` of a rowid table is an alias of the
            // rowid: always assigned by SQLite, never NULL.
            if pk > 0
                && single_pk
                && declared.eq_ignore_ascii_case("integer")
                && !table_sql.without_rowid
            {
                column.auto_increment = true;
                column.nullable = false;
            }
            table.columns.push(column);
        }
    }
    Ok(())
}

fn read_indexes(
    tables: &mut BTreeMap<String, (Table, sql::TableSql)>,
    rows: Vec<QueryResult>,
) -> Result<(), Error> {
    // (table, index) → (index, skip it)
    let mut indexes: BTreeMap<(String, String), (Index, bool)> = BTreeMap::new();
    for row in &rows {
        let tbl: String = get(row, "tbl", "*")?;
        if !tables.contains_key(&tbl) {
            continue;
        }
        let name: String = get(row, "idx", &tbl)?;
        let unique: i64 = get(row, "is_unique", &tbl)?;
        let origin: String = get(row, "origin", &tbl)?;
        let partial: i64 = get(row, "partial", &tbl)?;
        let cid: i64 = get(row, "cid", &tbl)?;
        let col: Option<String> = get(row, "col", &tbl)?;
        let entry = indexes.entry((tbl, name.clone())).or_insert_with(|| {
            let index = Index {
                name,
                columns: Vec::new(),
                unique: unique != 0,
                constraint: origin == "u",
            };
            // The primary key comes from `pragma_table_xinfo`; partial indexes
            // are not reported yet.
            (index, origin == "pk" || partial != 0)
        });
        match col {
            // cid -1 is the rowid, -2 an expression: not reported yet.
            Some(col) if cid >= 0 => entry.0.columns.push(col),
            _ => entry.1 = true,
        }
    }
    for ((tbl, _), (index, skip)) in indexes {
        if let (false, Some((table, _))) = (skip, tables.get_mut(&tbl)) {
            table.indexes.push(index);
        }
    }
    Ok(())
}

fn read_foreign_keys(
    tables: &mut BTreeMap<String, (Table, sql::TableSql)>,
    primary_keys: &BTreeMap<String, Vec<String>>,
    rows: Vec<QueryResult>,
) -> Result<(), Error> {
    // (table, id) → (foreign key, some `to` columns were implicit)
    let mut fks: BTreeMap<(String, i64), (ForeignKey, bool)> = BTreeMap::new();
    for row in &rows {
        let tbl: String = get(row, "tbl", "*")?;
        if !tables.contains_key(&tbl) {
            continue;
        }
        let id: i64 = get(row, "id", &tbl)?;
        let ref_table: String = get(row, "ref_table", &tbl)?;
        let col: String = get(row, "col", &tbl)?;
        let ref_col: Option<String> = get(row, "ref_col", &tbl)?;
        let on_update = fk_action(&get::<String>(row, "on_update", &tbl)?, &tbl)?;
        let on_delete = fk_action(&get::<String>(row, "on_delete", &tbl)?, &tbl)?;
        let entry = fks.entry((tbl, id)).or_insert_with(|| {
            let fk = ForeignKey {
                name: None,
                columns: Vec::new(),
                ref_table,
                ref_columns: Vec::new(),
                on_delete,
                on_update,
            };
            (fk, false)
        });
        entry.0.columns.push(col);
        match ref_col {
            Some(ref_col) => entry.0.ref_columns.push(ref_col),
            None => entry.1 = true,
        }
    }
    for ((tbl, _), (mut fk, implicit)) in fks {
        if implicit {
            // `REFERENCES parent` without columns means the parent's primary key.
            fk.ref_columns = primary_keys.get(&fk.ref_table).cloned().unwrap_or_else(|| {
                tracing::warn!(table = %tbl, ref_table = %fk.ref_table,
                    "foreign key to a table that is not there; its columns are unknown");
                Vec::new()
            });
        }
        if let Some((table, _)) = tables.get_mut(&tbl) {
            table.foreign_keys.push(fk);
        }
    }
    Ok(())
}

fn fk_action(text: &str, table: &str) -> Result<FkAction, Error> {
    Ok(match text.to_ascii_uppercase().as_str() {
        "NO ACTION" | "" => FkAction::NoAction,
        "RESTRICT" => FkAction::Restrict,
        "CASCADE" => FkAction::Cascade,
        "SET NULL" => FkAction::SetNull,
        "SET DEFAULT" => FkAction::SetDefault,
        other => {
            return Err(Error::Introspection {
                table: table.to_owned(),
                reason: format!("unknown foreign key action `{other}`"),
            });
        }
    })
}

/// Reads column `col` of a catalog row, naming `table` in the error.
fn get<T: TryGetable>(row: &QueryResult, col: &str, table: &str) -> Result<T, Error> {
    row.try_get("", col).map_err(|e| Error::Introspection {
        table: table.to_owned(),
        reason: format!("reading `{col}` from the SQLite catalog: {e}"),
    })
}

/// Just enough of SQLite's `CREATE TABLE` syntax to find what the pragmas do
/// not report: `AUTOINCREMENT`, generated-column expressions and `WITHOUT ROWID`.
mod sql {
    use std::collections::HashMap;

    /// What a table's `CREATE TABLE` text says beyond the pragmas.
    #[derive(Debug, Default)]
    pub(super) struct TableSql {
        /// Keyed by lower-case column name (SQLite names are case-insensitive).
        columns: HashMap<String, ColumnSql>,
        pub(super) without_rowid: bool,
    }

    /// What a column definition says beyond the pragmas.
    #[derive(Debug, Default)]
    pub(super) struct ColumnSql {
        pub(super) autoincrement: bool,
        /// The expression of `[GENERATED ALWAYS] AS (expr)`, without parentheses.
        pub(super) generated: Option<String>,
    }

    impl TableSql {
        /// Reads a `CREATE TABLE` statement as `sqlite_schema.sql` keeps it.
        pub(super) fn parse(sql: &str) -> Self {
            let tokens = tokenize(sql);
            let Some((at, body)) = tokens.iter().enumerate().find_map(|(i, t)| match t {
                Tok::Group(body) => Some((i, *body)),
                _ => None,
            }) else {
                return Self::default();
            };
            let without_rowid = tokens[at + 1..]
                .windows(2)
                .any(|w| w[0].is_word("WITHOUT") && w[1].is_word("ROWID"));
            let mut columns = HashMap::new();
            for item in tokenize(body).split(|t| *t == Tok::Punct(b',')) {
                let name = match item.first() {
                    Some(Tok::Word(w)) if is_constraint_keyword(w) => continue,
                    Some(Tok::Word(w)) => (*w).to_owned(),
                    Some(Tok::Quoted(q)) => unquote_ident(q),
                    _ => continue,
                };
                let rest = &item[1..];
                let generated = rest.windows(2).find_map(|w| match w {
                    [a, Tok::Group(expr)] if a.is_word("AS") => Some(expr.trim().to_owned()),
                    _ => None,
                });
                let column = ColumnSql {
                    autoincrement: rest.iter().any(|t| t.is_word("AUTOINCREMENT")),
                    generated,
                };
                columns.insert(name.to_lowercase(), column);
            }
            TableSql {
                columns,
                without_rowid,
            }
        }

        /// The definition of column `name`, if it was found.
        pub(super) fn column(&self, name: &str) -> Option<&ColumnSql> {
            self.columns.get(&name.to_lowercase())
        }
    }

    fn is_constraint_keyword(word: &str) -> bool {
        ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| word.eq_ignore_ascii_case(k))
    }

    /// An identifier without its quotes (`"a""b"` → `a"b`, `[x]` → `x`).
    fn unquote_ident(quoted: &str) -> String {
        let Some(open) = quoted.chars().next() else {
            return String::new();
        };
        let close = if open == '[' { ']' } else { open };
        let inner = quoted[1..].strip_suffix(close).unwrap_or(&quoted[1..]);
        if open == '[' {
            inner.to_owned()
        } else {
            inner.replace(&format!("{close}{close}"), &close.to_string())
        }
    }

    /// A top-level token; groups keep their inner text unparsed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Tok<'a> {
        Word(&'a str),
        /// A quoted identifier or string, quotes included.
        Quoted(&'a str),
        /// The text inside a balanced pair of parentheses.
        Group(&'a str),
        Punct(u8),
    }

    impl Tok<'_> {
        fn is_word(&self, keyword: &str) -> bool {
            matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
        }
    }

    fn tokenize(text: &str) -> Vec<Tok<'_>> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                c if c.is_ascii_whitespace() => i += 1,
                b'-' | b'/' if starts_comment(b, i) => i = skip_comment(b, i),
                b'\'' | b'"' | b'`' | b'[' => {
                    let end = skip_quoted(b, i);
                    out.push(Tok::Quoted(&text[i..end]));
                    i = end;
                }
                b'(' => {
                    let end = skip_group(b, i);
                    let inner_end = if end > i + 1 && b[end - 1] == b')' {
                        end - 1
                    } else {
                        end
                    };
                    out.push(Tok::Group(&text[i + 1..inner_end]));
                    i = end;
                }
                c if is_word_byte(c) => {
                    let start = i;
                    while i < b.len() && is_word_byte(b[i]) {
                        i += 1;
                    }
                    out.push(Tok::Word(&text[start..i]));
                }
                c => {
                    out.push(Tok::Punct(c));
                    i += 1;
                }
            }
        }
        out
    }

    fn is_word_byte(c: u8) -> bool {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
    }

    fn starts_comment(b: &[u8], i: usize) -> bool {
        matches!(
            (b[i], b.get(i + 1)),
            (b'-', Some(b'-')) | (b'/', Some(b'*'))
        )
    }

    /// The index just after the comment starting at `i`.
    fn skip_comment(b: &[u8], i: usize) -> usize {
        if b[i] == b'-' {
            b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p + 1)
        } else {
            b[i + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(b.len(), |p| i + 2 + p + 2)
        }
    }

    /// The index just after the quoted text starting at `i` (doubled quotes escape).
    fn skip_quoted(b: &[u8], i: usize) -> usize {
        let close = if b[i] == b'[' { b']' } else { b[i] };
        let mut j = i + 1;
        while j < b.len() {
            if b[j] == close {
                if close != b']' && b.get(j + 1) == Some(&close) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j += 1;
        }
        b.len()
    }

    /// The index just after the `)` matching the `(` at `i`.
    fn skip_group(b: &[u8], i: usize) -> usize {
        let mut depth = 0usize;
        let mut j = i;
        while j < b.len() {
            match b[j] {
                b'(' => {
                    depth += 1;
                    j += 1;
                }
                b')' => {
                    j += 1;
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return j;
                    }
                }
                b'\'' | b'"' | b'`' | b'[' => j = skip_quoted(b, j),
                b'-' | b'/' if starts_comment(b, j) => j = skip_comment(b, j),
                _ => j += 1,
            }
        }
        b.len()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn reads_autoincrement_generated_and_without_rowid() {
            let t = TableSql::parse(
                "CREATE TABLE \"t\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
                 [Full Name] text, -- a comment, with (parens\n\
                 \"len\" integer GENERATED ALWAYS AS (length(\"Full Name\") + 1) STORED, \
                 v AS (id * 2), CONSTRAINT c CHECK (id > 0), UNIQUE (v) ) WITHOUT ROWID",
            );
            assert!(t.without_rowid);
            assert!(t.column("ID").is_some_and(|c| c.autoincrement));
            assert!(t.column("full name").is_some_and(|c| !c.autoincrement));
            assert_eq!(
                t.column("len").and_then(|c| c.generated.as_deref()),
                Some("length(\"Full Name\") + 1")
            );
            assert_eq!(
                t.column("v").and_then(|c| c.generated.as_deref()),
                Some("id * 2")
            );
            assert!(t.column("constraint").is_none());
            assert_eq!(t.columns.len(), 4);
        }

        #[test]
        fn rowid_table_and_quoted_names() {
            let t = TableSql::parse("CREATE TABLE `a(b` (\"x\"\"y\" INTEGER PRIMARY KEY)");
            assert!(!t.without_rowid);
            assert!(
                t.column("x\"y")
                    .is_some_and(|c| !c.autoincrement && c.generated.is_none())
            );
        }
    }
}
