//! The catalog queries and their rows, read into plain structs.
//!
//! Each query is filtered by `TABLE_SCHEMA = ?` (the current database), so the
//! number of queries never depends on the number of tables.

use sea_orm::ConnectionTrait;

use super::{Server, int, query, required_text, text};
use crate::error::Error;

const TABLES: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, \
    CAST(TABLE_COMMENT AS CHAR) AS comment \
    FROM information_schema.TABLES \
    WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')";

const COLUMNS: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, \
    CAST(COLUMN_NAME AS CHAR) AS name, CAST(ORDINAL_POSITION AS SIGNED) AS pos, \
    CAST(COLUMN_DEFAULT AS CHAR) AS dflt, CAST(IS_NULLABLE AS CHAR) AS nullable, \
    CAST(COLUMN_TYPE AS CHAR) AS type, CAST(EXTRA AS CHAR) AS extra, \
    CAST(GENERATION_EXPRESSION AS CHAR) AS gen, CAST(COLUMN_COMMENT AS CHAR) AS comment \
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?";

const INDEXES: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, \
    CAST(INDEX_NAME AS CHAR) AS idx, CAST(NON_UNIQUE AS SIGNED) AS non_unique, \
    CAST(SEQ_IN_INDEX AS SIGNED) AS seq, CAST(COLUMN_NAME AS CHAR) AS col, \
    CAST(SUB_PART AS SIGNED) AS sub_part, CAST(INDEX_TYPE AS CHAR) AS index_type \
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?";

const CONSTRAINTS: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, \
    CAST(CONSTRAINT_NAME AS CHAR) AS name, CAST(CONSTRAINT_TYPE AS CHAR) AS kind \
    FROM information_schema.TABLE_CONSTRAINTS \
    WHERE TABLE_SCHEMA = ? AND CONSTRAINT_TYPE IN ('UNIQUE', 'CHECK')";

const KEY_COLUMNS: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, \
    CAST(CONSTRAINT_NAME AS CHAR) AS name, CAST(COLUMN_NAME AS CHAR) AS col, \
    CAST(ORDINAL_POSITION AS SIGNED) AS pos, \
    CAST(REFERENCED_TABLE_SCHEMA AS CHAR) AS ref_schema, \
    CAST(REFERENCED_TABLE_NAME AS CHAR) AS ref_table, \
    CAST(REFERENCED_COLUMN_NAME AS CHAR) AS ref_col \
    FROM information_schema.KEY_COLUMN_USAGE \
    WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL";

const RULES: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, \
    CAST(CONSTRAINT_NAME AS CHAR) AS name, CAST(UPDATE_RULE AS CHAR) AS on_update, \
    CAST(DELETE_RULE AS CHAR) AS on_delete \
    FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?";

/// MariaDB: check names are unique per table, and the view says which table.
const CHECKS_MARIADB: &str = "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, \
    CAST(CONSTRAINT_NAME AS CHAR) AS name, CAST(CHECK_CLAUSE AS CHAR) AS clause \
    FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?";

/// MySQL: check names are unique per database; the table comes from
/// `TABLE_CONSTRAINTS`.
const CHECKS_MYSQL: &str = "SELECT CAST(NULL AS CHAR) AS tbl, \
    CAST(CONSTRAINT_NAME AS CHAR) AS name, CAST(CHECK_CLAUSE AS CHAR) AS clause \
    FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?";

/// One row of `TABLES`.
pub(super) struct TableRow {
    pub name: String,
    pub comment: Option<String>,
}

/// One row of `COLUMNS`.
pub(super) struct ColumnRow {
    pub table: String,
    pub name: String,
    pub position: i64,
    pub default: Option<String>,
    pub nullable: bool,
    pub column_type: String,
    pub extra: String,
    pub generation: Option<String>,
    pub comment: Option<String>,
}

/// One key part of one index (`STATISTICS`).
pub(super) struct IndexRow {
    pub table: String,
    pub index: String,
    pub unique: bool,
    pub seq: i64,
    /// `None` for an expression (a MySQL 8 functional key part).
    pub column: Option<String>,
    /// The prefix length of a prefix index.
    pub sub_part: Option<i64>,
    pub index_type: String,
}

/// One `UNIQUE` or `CHECK` constraint (`TABLE_CONSTRAINTS`).
pub(super) struct ConstraintRow {
    pub table: String,
    pub name: String,
    pub kind: String,
}

/// One column of one foreign key (`KEY_COLUMN_USAGE`).
pub(super) struct KeyColumnRow {
    pub table: String,
    pub name: String,
    pub column: String,
    pub position: i64,
    pub ref_schema: Option<String>,
    pub ref_table: String,
    pub ref_column: String,
}

/// The actions of one foreign key (`REFERENTIAL_CONSTRAINTS`).
pub(super) struct RuleRow {
    pub table: String,
    pub name: String,
    pub on_update: String,
    pub on_delete: String,
}

/// One CHECK constraint (`CHECK_CONSTRAINTS`); `table` is known on MariaDB only.
pub(super) struct CheckRow {
    pub table: Option<String>,
    pub name: String,
    pub clause: String,
}

/// Everything the catalog queries returned.
pub(super) struct Catalog {
    pub tables: Vec<TableRow>,
    pub columns: Vec<ColumnRow>,
    pub indexes: Vec<IndexRow>,
    pub constraints: Vec<ConstraintRow>,
    pub key_columns: Vec<KeyColumnRow>,
    pub rules: Vec<RuleRow>,
    pub checks: Vec<CheckRow>,
}

impl Catalog {
    /// Runs the catalog queries: seven, or six when `TABLE_CONSTRAINTS` lists
    /// no CHECK constraint or the server has no `CHECK_CONSTRAINTS`.
    pub(super) async fn read<C: ConnectionTrait>(db: &C, server: &Server) -> Result<Self, Error> {
        let mut tables = Vec::new();
        for row in query(db, TABLES, server).await? {
            let name = required_text(&row, "tbl", "*")?;
            let comment = text(&row, "comment", &name)?;
            tables.push(TableRow { name, comment });
        }

        let mut columns = Vec::new();
        for row in query(db, COLUMNS, server).await? {
            let table = required_text(&row, "tbl", "*")?;
            let t = table.as_str();
            columns.push(ColumnRow {
                name: required_text(&row, "name", t)?,
                position: int(&row, "pos", t)?.unwrap_or_default(),
                default: text(&row, "dflt", t)?,
                nullable: required_text(&row, "nullable", t)?.eq_ignore_ascii_case("YES"),
                column_type: required_text(&row, "type", t)?,
                extra: text(&row, "extra", t)?.unwrap_or_default(),
                generation: text(&row, "gen", t)?,
                comment: text(&row, "comment", t)?,
                table,
            });
        }

        let mut indexes = Vec::new();
        for row in query(db, INDEXES, server).await? {
            let table = required_text(&row, "tbl", "*")?;
            let t = table.as_str();
            indexes.push(IndexRow {
                index: required_text(&row, "idx", t)?,
                unique: int(&row, "non_unique", t)? == Some(0),
                seq: int(&row, "seq", t)?.unwrap_or_default(),
                column: text(&row, "col", t)?,
                sub_part: int(&row, "sub_part", t)?,
                index_type: text(&row, "index_type", t)?.unwrap_or_default(),
                table,
            });
        }

        let mut constraints = Vec::new();
        for row in query(db, CONSTRAINTS, server).await? {
            let table = required_text(&row, "tbl", "*")?;
            constraints.push(ConstraintRow {
                name: required_text(&row, "name", &table)?,
                kind: required_text(&row, "kind", &table)?,
                table,
            });
        }

        let mut key_columns = Vec::new();
        for row in query(db, KEY_COLUMNS, server).await? {
            let table = required_text(&row, "tbl", "*")?;
            let t = table.as_str();
            key_columns.push(KeyColumnRow {
                name: required_text(&row, "name", t)?,
                column: required_text(&row, "col", t)?,
                position: int(&row, "pos", t)?.unwrap_or_default(),
                ref_schema: text(&row, "ref_schema", t)?,
                ref_table: required_text(&row, "ref_table", t)?,
                ref_column: required_text(&row, "ref_col", t)?,
                table,
            });
        }

        let mut rules = Vec::new();
        for row in query(db, RULES, server).await? {
            let table = required_text(&row, "tbl", "*")?;
            let t = table.as_str();
            rules.push(RuleRow {
                name: required_text(&row, "name", t)?,
                on_update: required_text(&row, "on_update", t)?,
                on_delete: required_text(&row, "on_delete", t)?,
                table,
            });
        }

        // `TABLE_CONSTRAINTS` lists every CHECK constraint too (column and
        // table level): when it has none, the `CHECK_CONSTRAINTS` scan (which
        // opens every table on MariaDB) is left out.
        let any_checks = constraints.iter().any(|c| c.kind == "CHECK");
        let mut checks = Vec::new();
        if server.has_check_constraints() && any_checks {
            let sql = if server.checks_have_table() {
                CHECKS_MARIADB
            } else {
                CHECKS_MYSQL
            };
            for row in query(db, sql, server).await? {
                let table = text(&row, "tbl", "*")?;
                let t = table.as_deref().unwrap_or("*");
                checks.push(CheckRow {
                    name: required_text(&row, "name", t)?,
                    clause: required_text(&row, "clause", t)?,
                    table,
                });
            }
        } else if !server.has_check_constraints() {
            tracing::warn!(
                version = ?server.version,
                "this server has no information_schema.CHECK_CONSTRAINTS; CHECK constraints are not read"
            );
        }

        Ok(Catalog {
            tables,
            columns,
            indexes,
            constraints,
            key_columns,
            rules,
            checks,
        })
    }
}
