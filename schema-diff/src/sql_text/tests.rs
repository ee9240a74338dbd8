use super::*;
use crate::ir::{Check, ForeignKey, Generated, Index};

fn table(name: &str) -> Table {
    Table {
        name: name.into(),
        columns: vec![Column::new("id", ColumnType::Integer)],
        primary_key: vec!["id".into()],
        ..Table::default()
    }
}

fn index(name: &str) -> Index {
    Index {
        name: name.into(),
        columns: vec!["id".into()],
        unique: false,
        constraint: false,
    }
}

fn refused(change: Change) -> UnsafeName {
    check_changes(&[change]).expect_err("an unsafe name must be refused")
}

#[test]
fn quoting_doubles_the_quote_character() {
    assert_eq!(quote_ident(Dialect::Postgres, "a\"b"), "\"a\"\"b\"");
    assert_eq!(quote_ident(Dialect::Sqlite, "x"), "\"x\"");
    assert_eq!(quote_ident(Dialect::MySql, "a`b\"c"), "`a``b\"c`");
    assert_eq!(quote_literal(Dialect::Postgres, "it's \\"), "'it''s \\'");
    assert_eq!(quote_literal(Dialect::MySql, "it's \\"), "'it''s \\\\'");
}

#[test]
fn plain_and_unusual_but_safe_names_pass() {
    let mut t = table("weird; name -- with spaces\nand lines 'quoted' \u{202e}");
    t.indexes.push(index("idx-x; DROP TABLE users; --"));
    t.columns.push(Column::new("naïve", ColumnType::Text));
    t.checks.push(Check {
        name: Some("positive".into()),
        expr: "id > 0 AND 'a;b' <> 'c--d'".into(),
    });
    check_changes(&[Change::CreateTable { table: t }]).expect("safe");
}

#[test]
fn every_identifier_position_refuses_quotes_backticks_and_nul() {
    let hostile = ["idx-x\"; DROP TABLE \"api_keys\"; --", "a`b", "nul\0"];
    for name in hostile {
        let err = refused(Change::DropIndex {
            table: "t".into(),
            index: index(name),
        });
        assert!(err.what.starts_with("index on table `t`"), "{err}");
        assert_eq!(err.name, name);

        refused(Change::CreateTable { table: table(name) });
        refused(Change::RenameTable {
            from: "t".into(),
            to: name.into(),
        });
        refused(Change::AddColumn {
            table: "t".into(),
            column: Column::new(name, ColumnType::Text),
        });
        refused(Change::RenameColumn {
            table: "t".into(),
            from: "a".into(),
            to: name.into(),
        });
        refused(Change::AddForeignKey {
            table: "t".into(),
            foreign_key: ForeignKey {
                name: Some(name.into()),
                columns: vec!["id".into()],
                ref_table: "u".into(),
                ref_columns: vec!["id".into()],
                on_delete: Default::default(),
                on_update: Default::default(),
            },
        });
        refused(Change::AlterPrimaryKey {
            table: "t".into(),
            from: vec!["id".into()],
            to: vec![name.into()],
        });
        let mut with_index = table("t");
        with_index.indexes.push(index(name));
        refused(Change::RebuildTable {
            from: table("t"),
            to: with_index,
            changes: vec![],
        });
    }
}

#[test]
fn enum_type_names_must_be_plain_and_values_unquoted() {
    let bad_type = EnumType {
        name: "mood; DROP TABLE x".into(),
        values: vec!["a".into()],
    };
    let err = refused(Change::CreateEnum {
        enum_type: bad_type,
    });
    assert!(err.to_string().contains("plain identifiers"), "{err}");

    let bad_value = EnumType {
        name: "mood".into(),
        values: vec!["ok".into(), "x'); DROP TABLE t; --".into()],
    };
    refused(Change::CreateEnum {
        enum_type: bad_value.clone(),
    });
    refused(Change::AddColumn {
        table: "t".into(),
        column: Column::new(
            "m",
            ColumnType::Enum {
                name: bad_value.name,
                variants: bad_value.values,
            },
        ),
    });
}

#[test]
fn expressions_are_one_expression() {
    let with_default = |expr: &str| {
        let mut column = Column::new("c", ColumnType::Text);
        column.default = Some(DefaultValue::Expr(expr.into()));
        Change::AddColumn {
            table: "t".into(),
            column,
        }
    };
    for ok in ["lower('x;y')", "now()", "'it''s'", "\"col\" || 'x'"] {
        check_changes(&[with_default(ok)]).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        "1; DROP TABLE users",
        "1 -- comment",
        "1 /* comment */",
        "'unclosed",
        "'\\'; DROP TABLE x; --'",
        // One expression on MySQL, where `\'` escapes a quote, but an open string on
        // PostgreSQL and SQLite: refused, since a migration may run on either.
        "concat('a\\'b', 'c')",
    ] {
        let err = refused(with_default(bad));
        assert!(err.what.starts_with("default of column `t`.`c`"), "{err}");
    }

    let mut generated = Column::new("g", ColumnType::Integer);
    generated.generated = Some(Generated {
        expr: "a + 1); DROP TABLE t; --".into(),
        stored: true,
    });
    refused(Change::AddColumn {
        table: "t".into(),
        column: generated,
    });

    let custom = Column::new("x", ColumnType::Custom("int; DROP TABLE t".into()));
    refused(Change::AddColumn {
        table: "t".into(),
        column: custom,
    });
    let quoted_custom = Column::new("x", ColumnType::Custom("text' || '".into()));
    refused(Change::AddColumn {
        table: "t".into(),
        column: quoted_custom,
    });
}

#[test]
fn the_message_shows_the_name_escaped() {
    let err = refused(Change::DropIndex {
        table: "t\u{1b}[2J".into(),
        index: index("i\"\n"),
    });
    let text = err.to_string();
    assert!(!text.contains('\u{1b}') && !text.contains('\n'), "{text:?}");
    assert!(text.contains("`i\"\\n`"), "{text}");
}
