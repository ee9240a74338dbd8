//! The plan: what a list of [`Change`]s does on each backend, as a tree of operations
//! under backend conditions.
//!
//! Both executors of a migration read this one tree: [`crate::statements::apply`] runs
//! it against a connection and [`crate::render`] prints it as Rust. The order of the
//! operations and the backend each one runs on are therefore decided once, here.

use crate::dialect::Dialect;
use crate::ir::{Column, EnumType, ForeignKey, Index, Table};
use crate::portable;
use crate::{Backends, Change};

/// One node of the plan.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    /// An operation that runs wherever its node runs.
    Op(Op),
    /// A comment for the reader of the generated code; does nothing.
    Comment(String),
    /// `if backend == dialect { then } else { otherwise }`.
    If {
        dialect: Dialect,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// Which parts of a column an `ALTER COLUMN` sets.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ModifyParts {
    /// The whole definition (MySQL's `MODIFY COLUMN`).
    Full,
    /// The type only, converted with `USING <expr>` (PostgreSQL).
    TypeUsing(String),
    /// Nullability and, when there is one, the default (PostgreSQL).
    NullDefault,
}

/// Where `ALTER TYPE ... ADD VALUE` puts the new value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Placement {
    Before(String),
    After(String),
    End,
}

/// One operation: a sea-query statement, one of our runtime helpers, raw SQL or a
/// failure.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    /// `CREATE TABLE` with primary key, unique constraints, foreign keys and checks.
    CreateTable(Table),
    DropTable(String),
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    DropColumn {
        table: String,
        column: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    ModifyColumn {
        table: String,
        column: Column,
        parts: ModifyParts,
    },
    /// `CREATE [UNIQUE] INDEX`.
    CreateIndex {
        table: String,
        index: Index,
    },
    DropIndex {
        table: String,
        name: String,
    },
    /// `runtime::require_values_fit`, before a narrowing type change: every value of
    /// the column must fit the new type, on every backend.
    RequireFit {
        table: String,
        column: String,
        new_type: String,
        fit: crate::lint::Unfit,
    },
    /// `runtime::keep_foreign_key_indexes`, before a `DropIndex`: MySQL refuses to
    /// drop the last index a foreign key can use.
    KeepForeignKeyIndexes {
        table: String,
        name: String,
    },
    /// A unique constraint on an existing table (`runtime::add_unique_constraint`).
    AddUnique {
        table: String,
        index: Index,
    },
    /// `runtime::drop_unique_constraint`.
    DropUnique {
        table: String,
        name: String,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    DropForeignKey {
        table: String,
        name: String,
    },
    /// `runtime::replace_primary_key`.
    ReplacePrimaryKey {
        table: String,
        columns: Vec<String>,
    },
    CreateEnum(EnumType),
    DropEnum(String),
    AddEnumValue {
        name: String,
        value: String,
        placement: Placement,
    },
    /// `runtime::recreate_postgres_enum`.
    RecreateEnum(EnumType),
    /// `runtime::alter_mysql_enum_columns`: MySQL keeps enum values in each column.
    AlterMySqlEnumColumns {
        from: Vec<String>,
        to: Vec<String>,
    },
    /// `runtime::rebuild_sqlite_table`.
    RebuildSqlite {
        table: Table,
        copy_columns: Vec<String>,
    },
    /// `runtime::check_sqlite_rebuilds`: first in a module with SQLite rebuilds, so
    /// that a run with foreign keys on fails before anything changes.
    CheckSqliteRebuilds {
        tables: Vec<String>,
        referenced_by_migration: Vec<String>,
    },
    /// A raw SQL statement (only ever under a backend condition).
    Raw(String),
    /// Stop the migration with this message.
    Fail(String),
    /// Stop the migration with this message unless the database is one of
    /// `backends`: first in a module rendered for a subset of the backends.
    RequireBackends {
        backends: Vec<Dialect>,
        message: String,
    },
}

/// The plan of `changes`, in order, for all three backends.
pub(crate) fn plan(changes: &[Change]) -> Vec<Node> {
    plan_for(changes, Backends::ALL)
}

/// The plan of `changes` for `backends` only: no branch of another backend is left,
/// a condition stays only where the backends of the set differ, and (for a subset)
/// the plan starts by refusing every other backend.
pub(crate) fn plan_for(changes: &[Change], backends: Backends) -> Vec<Node> {
    let reach = backends.dialects();
    let nodes = full_plan(changes, backends, &reach);
    if backends.is_all() {
        return nodes;
    }
    let mut restricted = vec![Node::Op(Op::RequireBackends {
        backends: reach.clone(),
        message: backends.refusal(),
    })];
    restricted.extend(restrict(nodes, &reach));
    restricted
}

/// `nodes` as they run on `reach`: a condition all of `reach` answers alike is
/// replaced by the branch taken. Nothing follows a failure that now stands
/// unconditionally (it would be unreachable code in the module).
fn restrict(nodes: Vec<Node>, reach: &[Dialect]) -> Vec<Node> {
    let mut out = Vec::new();
    for node in nodes {
        if out.iter().any(|n| matches!(n, Node::Op(Op::Fail(_)))) {
            break;
        }
        match node {
            Node::If {
                dialect,
                then,
                otherwise,
            } => {
                let inside: Vec<Dialect> =
                    reach.iter().copied().filter(|d| *d == dialect).collect();
                let outside: Vec<Dialect> =
                    reach.iter().copied().filter(|d| *d != dialect).collect();
                if inside.is_empty() {
                    out.extend(restrict(otherwise, &outside));
                } else if outside.is_empty() {
                    out.extend(restrict(then, &inside));
                } else {
                    out.push(Node::If {
                        dialect,
                        then: restrict(then, &inside),
                        otherwise: restrict(otherwise, &outside),
                    });
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn full_plan(changes: &[Change], backends: Backends, reach: &[Dialect]) -> Vec<Node> {
    let mut nodes = Vec::new();
    let blocked: Vec<String> = changes.iter().filter_map(sqlite_blocker).collect();
    if !blocked.is_empty() {
        nodes.push(Node::If {
            dialect: Dialect::Sqlite,
            then: vec![Node::Op(Op::Fail(format!(
                "SQLite cannot {} in place; generate this migration against SQLite \
                 to get a table rebuild.",
                blocked.join(", ")
            )))],
            otherwise: Vec::new(),
        });
    }
    for change in changes {
        plan_change(change, &mut nodes, backends, false);
    }
    let nodes = portable::specialize_keys(nodes, reach);
    // What a backend cannot run fails there first, before sea-query builds (and
    // panics on) a statement it has no SQL for.
    let mut guarded = Vec::new();
    for dialect in reach.iter().copied() {
        let problems = portable::check_ops(&flatten(&nodes, dialect), dialect);
        if !problems.is_empty() {
            guarded.push(Node::If {
                dialect,
                then: vec![Node::Op(Op::Fail(portable::failure_message(
                    dialect, &problems,
                )))],
                otherwise: Vec::new(),
            });
        }
    }
    guarded.extend(sqlite_rebuild_check(&nodes));
    guarded.extend(nodes);
    guarded
}

/// The check that precedes every other statement of a module with SQLite rebuilds
/// (none without): the rebuilt tables, and those of them an earlier operation of
/// the module makes referenced (a created table's or an added foreign key).
fn sqlite_rebuild_check(nodes: &[Node]) -> Option<Node> {
    let mut tables: Vec<String> = Vec::new();
    let mut referenced_by_migration: Vec<String> = Vec::new();
    let mut linked: Vec<&str> = Vec::new();
    for op in flatten(nodes, Dialect::Sqlite) {
        match op {
            Op::RebuildSqlite { table, .. } => {
                if linked.contains(&table.name.as_str())
                    && !referenced_by_migration.contains(&table.name)
                {
                    referenced_by_migration.push(table.name.clone());
                }
                if !tables.contains(&table.name) {
                    tables.push(table.name.clone());
                }
                linked.extend(table.foreign_keys.iter().map(|fk| fk.ref_table.as_str()));
            }
            Op::CreateTable(table) => {
                linked.extend(table.foreign_keys.iter().map(|fk| fk.ref_table.as_str()));
            }
            Op::AddForeignKey { foreign_key, .. } => linked.push(&foreign_key.ref_table),
            _ => {}
        }
    }
    if tables.is_empty() {
        return None;
    }
    Some(Node::If {
        dialect: Dialect::Sqlite,
        then: vec![
            Node::Comment(
                "Stops before any statement when a table rebuild below cannot run here \
                 (foreign keys on and the table referenced, as under sea-orm-migration's \
                 own `Migrator::up`)."
                    .to_owned(),
            ),
            Node::Op(Op::CheckSqliteRebuilds {
                tables,
                referenced_by_migration,
            }),
        ],
        otherwise: Vec::new(),
    })
}

/// The operations that run on `dialect`, in order.
pub(crate) fn flatten(nodes: &[Node], dialect: Dialect) -> Vec<&Op> {
    let mut ops = Vec::new();
    flatten_into(nodes, dialect, &mut ops);
    ops
}

fn flatten_into<'a>(nodes: &'a [Node], dialect: Dialect, ops: &mut Vec<&'a Op>) {
    for node in nodes {
        match node {
            Node::Op(op) => ops.push(op),
            Node::Comment(_) => {}
            Node::If {
                dialect: d,
                then,
                otherwise,
            } => flatten_into(if *d == dialect { then } else { otherwise }, dialect, ops),
        }
    }
}

/// What a top-level change asks of SQLite that only a rebuild can do, if anything.
fn sqlite_blocker(change: &Change) -> Option<String> {
    match change {
        Change::AddForeignKey { table, .. } => Some(format!("add a foreign key to `{table}`")),
        Change::DropForeignKey { table, .. } => Some(format!("drop a foreign key from `{table}`")),
        Change::AlterPrimaryKey { table, .. } => {
            Some(format!("change the primary key of `{table}`"))
        }
        _ => None,
    }
}

/// The name a foreign key is dropped by: its own, or PostgreSQL's default
/// (`<table>_<columns>_fkey`, cut to 63 bytes as PostgreSQL cuts it) when the IR has
/// none.
pub(crate) fn foreign_key_name(table: &str, foreign_key: &ForeignKey) -> String {
    foreign_key.name.clone().unwrap_or_else(|| {
        crate::names::postgres_default_name(table, &foreign_key.columns.join("_"), "fkey")
    })
}

/// Whether `index` is a unique table constraint (rather than a `CREATE INDEX`).
pub(crate) fn is_unique_constraint(index: &Index) -> bool {
    index.constraint && index.unique
}

/// Appends the plan of `change` for `backends`; `nested` inside a rebuild's
/// non-SQLite branch.
fn plan_change(change: &Change, nodes: &mut Vec<Node>, backends: Backends, nested: bool) {
    let op = |op: Op| Node::Op(op);
    match change {
        Change::CreateTable { table } => {
            nodes.push(op(Op::CreateTable(table.clone())));
            for index in table.indexes.iter().filter(|i| !is_unique_constraint(i)) {
                nodes.push(op(Op::CreateIndex {
                    table: table.name.clone(),
                    index: index.clone(),
                }));
            }
            let mut comments = Vec::new();
            if let Some(comment) = &table.comment {
                comments.push(op(Op::Raw(pg::table_comment(&table.name, Some(comment)))));
            }
            for column in &table.columns {
                if let Some(comment) = &column.comment {
                    let sql = pg::column_comment(&table.name, &column.name, Some(comment));
                    comments.push(op(Op::Raw(sql)));
                }
            }
            push_postgres_comments(nodes, comments);
        }
        Change::DropTable { table } => nodes.push(op(Op::DropTable(table.name.clone()))),
        Change::RenameTable { from, to } => nodes.push(op(Op::RenameTable {
            from: from.clone(),
            to: to.clone(),
        })),
        Change::AddColumn { table, column } => {
            nodes.push(op(Op::AddColumn {
                table: table.clone(),
                column: column.clone(),
            }));
            if let Some(comment) = &column.comment {
                let sql = pg::column_comment(table, &column.name, Some(comment));
                push_postgres_comments(nodes, vec![op(Op::Raw(sql))]);
            }
        }
        Change::DropColumn { table, column } => nodes.push(op(Op::DropColumn {
            table: table.clone(),
            column: column.name.clone(),
        })),
        Change::RenameColumn { table, from, to } => nodes.push(op(Op::RenameColumn {
            table: table.clone(),
            from: from.clone(),
            to: to.clone(),
        })),
        Change::AlterColumn { table, from, to } => {
            if !nested {
                nodes.extend(require_fit(table, from, to));
            }
            plan_alter_column(
                table,
                from,
                to,
                nodes,
                nested || !backends.contains(Dialect::Sqlite),
            );
        }
        Change::CreateIndex { table, index } => {
            let (table, index) = (table.clone(), index.clone());
            nodes.push(op(if is_unique_constraint(&index) {
                Op::AddUnique { table, index }
            } else {
                Op::CreateIndex { table, index }
            }));
        }
        Change::DropIndex { table, index } => {
            let (table, name) = (table.clone(), index.name.clone());
            if is_unique_constraint(index) {
                nodes.push(op(Op::DropUnique { table, name }));
            } else {
                nodes.push(op(Op::KeepForeignKeyIndexes {
                    table: table.clone(),
                    name: name.clone(),
                }));
                nodes.push(op(Op::DropIndex { table, name }));
            }
        }
        Change::AddForeignKey { table, foreign_key } => nodes.push(op(Op::AddForeignKey {
            table: table.clone(),
            foreign_key: foreign_key.clone(),
        })),
        Change::DropForeignKey { table, foreign_key } => nodes.push(op(Op::DropForeignKey {
            table: table.clone(),
            name: foreign_key_name(table, foreign_key),
        })),
        Change::AlterPrimaryKey { table, to, .. } => nodes.push(op(Op::ReplacePrimaryKey {
            table: table.clone(),
            columns: to.clone(),
        })),
        Change::CreateEnum { enum_type } => {
            push_postgres_enum(nodes, vec![op(Op::CreateEnum(enum_type.clone()))]);
        }
        Change::DropEnum { enum_type } => {
            push_postgres_enum(nodes, vec![op(Op::DropEnum(enum_type.name.clone()))]);
        }
        Change::AlterEnum { from, to } => {
            push_postgres_enum(nodes, plan_alter_enum(from, to));
            nodes.push(Node::If {
                dialect: Dialect::MySql,
                then: vec![
                    Node::Comment(format!(
                        "MySQL keeps enum values in each column: the columns declared with the \
                         values of `{}` get the new ones.",
                        from.name
                    )),
                    Node::Op(Op::AlterMySqlEnumColumns {
                        from: from.values.clone(),
                        to: to.values.clone(),
                    }),
                ],
                otherwise: Vec::new(),
            });
        }
        Change::RebuildTable { from, to, changes } => {
            plan_rebuild(from, to, changes, nodes, backends);
        }
    }
}

fn push_postgres_comments(nodes: &mut Vec<Node>, comments: Vec<Node>) {
    if comments.is_empty() {
        return;
    }
    let mut then = vec![Node::Comment(
        "Comments: MySQL takes them in the column definition, PostgreSQL as COMMENT ON.".to_owned(),
    )];
    then.extend(comments);
    nodes.push(Node::If {
        dialect: Dialect::Postgres,
        then,
        otherwise: Vec::new(),
    });
}

fn push_postgres_enum(nodes: &mut Vec<Node>, ops: Vec<Node>) {
    let mut then = vec![Node::Comment(
        "Enum types exist on PostgreSQL only; MySQL and SQLite keep the values in the column type."
            .to_owned(),
    )];
    then.extend(ops);
    nodes.push(Node::If {
        dialect: Dialect::Postgres,
        then,
        otherwise: Vec::new(),
    });
}

fn plan_alter_column(table: &str, from: &Column, to: &Column, nodes: &mut Vec<Node>, nested: bool) {
    let modify = |parts| {
        Node::Op(Op::ModifyColumn {
            table: table.to_owned(),
            column: to.clone(),
            parts,
        })
    };
    let raw = |sql: String| Node::Op(Op::Raw(sql));
    let column = &to.name;
    let mut postgres = Vec::new();
    if from.auto_increment && !to.auto_increment {
        postgres.push(raw(pg::alter_column(
            table,
            column,
            "DROP IDENTITY IF EXISTS",
        )));
    }
    // The old default goes first when the type changes: PostgreSQL would try to cast
    // it to the new type. The new default (if any) is set after the type.
    if from.default.is_some() && (to.default.is_none() || from.ty != to.ty) {
        postgres.push(raw(pg::alter_column(table, column, "DROP DEFAULT")));
    }
    if from.ty != to.ty {
        let using = pg::using_cast(column, &from.ty, &to.ty);
        postgres.push(modify(ModifyParts::TypeUsing(using)));
    }
    postgres.push(modify(ModifyParts::NullDefault));
    if !from.auto_increment && to.auto_increment {
        let clause = "ADD GENERATED BY DEFAULT AS IDENTITY";
        postgres.push(raw(pg::alter_column(table, column, clause)));
    }
    if from.comment != to.comment {
        postgres.push(raw(pg::column_comment(
            table,
            column,
            to.comment.as_deref(),
        )));
    }
    if !nested {
        nodes.push(Node::Comment(
            "SQLite stores no column comments, and the differ turns any other column change \
             into a table rebuild there: nothing to do on SQLite."
                .to_owned(),
        ));
    }
    nodes.push(Node::If {
        dialect: Dialect::Postgres,
        then: postgres,
        otherwise: vec![Node::If {
            dialect: Dialect::MySql,
            then: vec![modify(ModifyParts::Full)],
            otherwise: Vec::new(),
        }],
    });
}

fn plan_alter_enum(from: &EnumType, to: &EnumType) -> Vec<Node> {
    let appends_only = {
        let kept: Vec<&String> = to
            .values
            .iter()
            .filter(|v| from.values.contains(v))
            .collect();
        kept.len() == from.values.len() && kept.iter().zip(&from.values).all(|(a, b)| *a == b)
    };
    if !appends_only {
        return vec![
            Node::Comment(
                "PostgreSQL cannot drop or reorder enum values: the type is recreated and \
                 every column using it converted (fails if a row holds a removed value)."
                    .to_owned(),
            ),
            Node::Op(Op::RecreateEnum(to.clone())),
        ];
    }
    let mut nodes = vec![Node::Comment(
        "ALTER TYPE ... ADD VALUE cannot run inside a transaction before PostgreSQL 12, \
         and the new value cannot be used until the transaction commits."
            .to_owned(),
    )];
    for (i, value) in to.values.iter().enumerate() {
        if from.values.contains(value) {
            continue;
        }
        let placement = match i.checked_sub(1) {
            Some(prev) => Placement::After(to.values[prev].clone()),
            None => to
                .values
                .iter()
                .find(|v| from.values.contains(v))
                .map_or(Placement::End, |next| Placement::Before(next.clone())),
        };
        nodes.push(Node::Op(Op::AddEnumValue {
            name: to.name.clone(),
            value: value.clone(),
            placement,
        }));
    }
    nodes
}

/// The guard before a narrowing type change of `table`.`from`, if it narrows.
fn require_fit(table: &str, from: &Column, to: &Column) -> Option<Node> {
    let fit = crate::lint::unfit(&from.ty, &to.ty)?;
    Some(Node::Op(Op::RequireFit {
        table: table.to_owned(),
        column: from.name.clone(),
        new_type: crate::change::type_label(&to.ty),
        fit,
    }))
}

fn plan_rebuild(
    from: &Table,
    to: &Table,
    changes: &[Change],
    nodes: &mut Vec<Node>,
    backends: Backends,
) {
    for change in changes {
        if let Change::AlterColumn { table, from, to } = change {
            nodes.extend(require_fit(table, from, to));
        }
    }
    let mut sqlite = vec![Node::Comment(format!(
        "SQLite cannot ALTER `{}` this way: the table is rebuilt, keeping its rows, \
         indexes, CHECK constraints and triggers. Runs with foreign keys off (db-migrate \
         upgrade sees to that).",
        to.name
    ))];
    // The differ keeps renames out of a rebuild (they run natively before it, and
    // `from` carries the new names). Should a rename be inside, it runs first, in place
    // (SQLite can do it), and the rebuild copies the column by its new name.
    let mut renamed_to = from.name.clone();
    let mut old_name_of: Vec<(String, String)> = Vec::new(); // (new, old)
    for change in changes {
        match change {
            Change::RenameTable { from: f, to: t } => {
                renamed_to = t.clone();
                sqlite.push(Node::Op(Op::RenameTable {
                    from: f.clone(),
                    to: t.clone(),
                }));
            }
            Change::RenameColumn {
                table,
                from: f,
                to: t,
            } => {
                let old = old_name_of
                    .iter()
                    .find(|(new, _)| new == f)
                    .map_or_else(|| f.clone(), |(_, old)| old.clone());
                old_name_of.retain(|(new, _)| new != f);
                old_name_of.push((t.clone(), old));
                sqlite.push(Node::Op(Op::RenameColumn {
                    table: table.clone(),
                    from: f.clone(),
                    to: t.clone(),
                }));
            }
            _ => {}
        }
    }
    if renamed_to != to.name {
        sqlite.push(Node::Op(Op::RenameTable {
            from: renamed_to,
            to: to.name.clone(),
        }));
    }
    let copy_columns = to
        .columns
        .iter()
        .filter(|c| c.generated.is_none())
        .filter(|c| {
            let old = old_name_of
                .iter()
                .find(|(new, _)| *new == c.name)
                .map_or(c.name.as_str(), |(_, old)| old.as_str());
            from.column(&c.name).is_some() || from.column(old).is_some()
        })
        .map(|c| c.name.clone())
        .collect();
    // The rebuild carries over the CHECK constraints the live table has (the IR does
    // not read them on SQLite); ones in the IR may be another backend's SQL.
    let mut rebuilt = to.clone();
    rebuilt.checks.clear();
    sqlite.push(Node::Op(Op::RebuildSqlite {
        table: rebuilt,
        copy_columns,
    }));
    let mut otherwise = Vec::new();
    for change in changes {
        plan_change(change, &mut otherwise, backends, true);
    }
    nodes.push(Node::If {
        dialect: Dialect::Sqlite,
        then: sqlite,
        otherwise,
    });
}

/// Raw PostgreSQL statements for what sea-query cannot say.
pub(crate) mod pg {
    use crate::ir::ColumnType;
    use crate::statements::vocab::sea_type;
    use sea_query::{PostgresQueryBuilder, TableBuilder};

    /// `"name"`, with embedded quotes doubled.
    pub(crate) fn ident(name: &str) -> String {
        crate::sql_text::quote_ident(crate::Dialect::Postgres, name)
    }

    /// `'text'`, with embedded quotes doubled.
    pub(crate) fn literal(text: &str) -> String {
        crate::sql_text::quote_literal(crate::Dialect::Postgres, text)
    }

    /// `ALTER TABLE "t" ALTER COLUMN "c" <clause>`.
    pub(crate) fn alter_column(table: &str, column: &str, clause: &str) -> String {
        format!(
            "ALTER TABLE {} ALTER COLUMN {} {clause}",
            ident(table),
            ident(column)
        )
    }

    /// `COMMENT ON TABLE "t" IS ...`.
    pub(crate) fn table_comment(table: &str, comment: Option<&str>) -> String {
        format!(
            "COMMENT ON TABLE {} IS {}",
            ident(table),
            comment.map_or_else(|| "NULL".to_owned(), literal)
        )
    }

    /// `COMMENT ON COLUMN "t"."c" IS ...`.
    pub(crate) fn column_comment(table: &str, column: &str, comment: Option<&str>) -> String {
        format!(
            "COMMENT ON COLUMN {}.{} IS {}",
            ident(table),
            ident(column),
            comment.map_or_else(|| "NULL".to_owned(), literal)
        )
    }

    /// The `USING` expression of a type change: `"c"::<new type without its length or
    /// precision>`, the type as sea-query writes it for PostgreSQL.
    ///
    /// An explicit cast to `varchar(20)` or `char(3)` cuts longer values short without
    /// a word; PostgreSQL then stores the result in the column with an *assignment*
    /// cast, which rejects values that do not fit. So the cast names the unconstrained
    /// type (`varchar`, `bpchar`, `numeric`) and leaves the length and precision to
    /// the column: a narrowing fails on the rows that do not fit, and changes nothing.
    ///
    /// A change PostgreSQL makes in the catalog alone (a longer `varchar`, more
    /// `numeric` precision: [`crate::dialect::postgres::alters_in_place`]) converts
    /// the column itself, `USING "c"`: the unconstrained cast would hide the old
    /// length from PostgreSQL and make it rewrite the table.
    pub(crate) fn using_cast(column: &str, from: &ColumnType, to: &ColumnType) -> String {
        use crate::dialect::postgres::{alters_in_place, canonical_type};
        if alters_in_place(&canonical_type(from), &canonical_type(to)) {
            return ident(column);
        }
        format!("{}::{}", ident(column), unconstrained(to))
    }

    fn unconstrained(ty: &ColumnType) -> String {
        match ty {
            // `char` without a length is `char(1)` in a cast.
            ColumnType::Char(_) => "bpchar".to_owned(),
            ColumnType::String(_) => "varchar".to_owned(),
            ColumnType::Decimal(_) => "numeric".to_owned(),
            ColumnType::Array(inner) => format!("{}[]", unconstrained(inner)),
            // sea-query has no PostgreSQL spelling for YEAR (it panics); keep the cast
            // readable and let PostgreSQL report the unsupported type.
            ColumnType::Year => "year".to_owned(),
            ty => {
                let mut type_sql = String::new();
                PostgresQueryBuilder.prepare_column_type(&sea_type(ty), &mut type_sql);
                type_sql
            }
        }
    }
}
