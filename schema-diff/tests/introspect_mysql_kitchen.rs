//! MySQL/MariaDB introspection of hand-written SQL: every type, every kind of
//! default, auto-increment, generated columns, indexes of every kind, foreign
//! keys with and without automatic indexes, checks and comments, asserted
//! value by value.

mod support {
    pub mod mysql;
}

use schema_diff::dialect::mysql::{canonical_expr, normalize_schema};
use schema_diff::introspect::introspect;
use schema_diff::{
    Change, Check, Column, ColumnType, DefaultValue, Dialect, DiffOptions, EnumType, FkAction,
    ForeignKey, Index, Schema, Table, diff, statements,
};
use sea_orm::ConnectionTrait;
use support::mysql::scratch;

const PARENT: &str = "CREATE TABLE parent (
    id int PRIMARY KEY,
    code varchar(10) NOT NULL,
    region int NOT NULL,
    UNIQUE KEY parent_code_region (code, region)
) COMMENT 'parents'";

const SINK: &str = "CREATE TABLE sink (
    id bigint unsigned NOT NULL AUTO_INCREMENT COMMENT 'the key',
    v varchar(40) NOT NULL DEFAULT 'it''s',
    c char(3) DEFAULT 'abc',
    c1 char,
    t text,
    tt tinytext,
    mt mediumtext,
    lt longtext,
    ti tinyint NOT NULL DEFAULT -1,
    tu tinyint unsigned,
    b bool NOT NULL DEFAULT TRUE,
    si smallint DEFAULT '7',
    su smallint unsigned,
    i int,
    iu int unsigned,
    bi bigint DEFAULT 0,
    mi mediumint,
    f float DEFAULT 2.5,
    d double DEFAULT -0.5,
    dec1 decimal(12,3) DEFAULT 1.5,
    dec0 decimal,
    dt date DEFAULT '2020-01-02',
    tm time,
    dtm datetime DEFAULT CURRENT_TIMESTAMP,
    ts timestamp NULL DEFAULT current_timestamp(),
    ts3 timestamp(3) NULL,
    y year,
    j json,
    bin binary(16),
    vbin varbinary(20),
    bl blob,
    lb longblob,
    e enum('draft','it''s') NOT NULL DEFAULT 'draft',
    bt bit(3) DEFAULT b'101',
    ex int DEFAULT (1 + 2),
    doubled bigint GENERATED ALWAYS AS (i * 2) STORED,
    label varchar(50) AS (concat(v, '!')) VIRTUAL,
    p_code varchar(10),
    p_region int,
    parent_id int,
    other_id int,
    PRIMARY KEY (id),
    UNIQUE KEY sink_v_c (v, c),
    KEY sink_i_bi (i, bi),
    KEY sink_prefix (t(10)),
    FULLTEXT KEY sink_ft (v),
    CONSTRAINT sink_pos CHECK (dec1 > 0),
    CONSTRAINT sink_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id)
        ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT sink_code_fk FOREIGN KEY (p_code, p_region) REFERENCES parent (code, region)
        ON DELETE RESTRICT,
    FOREIGN KEY (other_id) REFERENCES parent (id)
) COMMENT 'everything'";

/// A column as introspection should read it.
fn column(name: &str, ty: ColumnType, nullable: bool, default: Option<DefaultValue>) -> Column {
    let mut c = Column::new(name, ty);
    c.nullable = nullable;
    c.default = default;
    c
}

fn num(n: &str) -> Option<DefaultValue> {
    Some(DefaultValue::Number(n.into()))
}

fn string(s: &str) -> Option<DefaultValue> {
    Some(DefaultValue::String(s.into()))
}

#[tokio::test]
async fn kitchen_sink_is_read_value_by_value() {
    let Some(db) = scratch("kitchen").await else {
        return;
    };
    db.exec(PARENT).await;
    db.exec(SINK).await;
    // A foreign key dropped later leaves its automatic index behind: from then
    // on it is an ordinary index, and is reported.
    db.exec(
        "CREATE TABLE orphan (id int PRIMARY KEY, pid int, \
           CONSTRAINT orphan_fk FOREIGN KEY (pid) REFERENCES parent (id)); \
         ALTER TABLE orphan DROP FOREIGN KEY orphan_fk",
    )
    .await;

    let schema = introspect(&db.db).await.expect("introspect");
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["orphan", "parent", "sink"]);
    let sink = schema.table("sink").unwrap();
    assert_eq!(sink.comment.as_deref(), Some("everything"));
    assert_eq!(sink.primary_key, ["id"]);

    use ColumnType as T;
    let mut id = column("id", T::BigUnsigned, false, None);
    id.auto_increment = true;
    id.comment = Some("the key".into());
    let expected_plain = vec![
        id,
        column("v", T::String(Some(40)), false, string("it's")),
        column("c", T::Char(Some(3)), true, string("abc")),
        column("c1", T::Char(Some(1)), true, None),
        column("t", T::Text, true, None),
        column("tt", T::Custom("tinytext".into()), true, None),
        column("mt", T::Custom("mediumtext".into()), true, None),
        column("lt", T::Custom("longtext".into()), true, None),
        column("ti", T::TinyInteger, false, num("-1")),
        column("tu", T::TinyUnsigned, true, None),
        column("b", T::Boolean, false, num("1")),
        column("si", T::SmallInteger, true, num("7")),
        column("su", T::SmallUnsigned, true, None),
        column("i", T::Integer, true, None),
        column("iu", T::Unsigned, true, None),
        column("bi", T::BigInteger, true, num("0")),
        column("mi", T::Custom("mediumint".into()), true, None),
        column("f", T::Float, true, num("2.5")),
        column("d", T::Double, true, num("-0.5")),
        column("dec1", T::Decimal(Some((12, 3))), true, num("1.5")),
        column("dec0", T::Decimal(Some((10, 0))), true, None),
        column("dt", T::Date, true, string("2020-01-02")),
        column("tm", T::Time, true, None),
        column(
            "dtm",
            T::DateTime,
            true,
            Some(DefaultValue::CurrentTimestamp),
        ),
        column(
            "ts",
            T::Timestamp,
            true,
            Some(DefaultValue::CurrentTimestamp),
        ),
        column("ts3", T::Custom("timestamp(3)".into()), true, None),
        column("y", T::Year, true, None),
        column("j", T::Json, true, None),
        column("bin", T::Binary(16), true, None),
        column("vbin", T::VarBinary(Some(20)), true, None),
        column("bl", T::Blob, true, None),
        column("lb", T::Custom("longblob".into()), true, None),
        column(
            "e",
            T::Enum {
                name: String::new(),
                variants: vec!["draft".into(), "it's".into()],
            },
            false,
            string("draft"),
        ),
        column("bt", T::Custom("bit(3)".into()), true, num("5")),
        column(
            "ex",
            T::Integer,
            true,
            Some(DefaultValue::Expr("1 + 2".into())),
        ),
    ];
    for (i, expected) in expected_plain.iter().enumerate() {
        assert_eq!(&sink.columns[i], expected, "column #{i}");
    }

    // Generated columns: each server prints the expression its own way.
    let generated = |name: &str| {
        let c = sink.column(name).unwrap();
        assert_eq!(c.default, None);
        let g = c
            .generated
            .clone()
            .unwrap_or_else(|| panic!("{name} is generated"));
        (c.ty.clone(), canonical_expr(&g.expr), g.stored)
    };
    assert_eq!(generated("doubled"), (T::BigInteger, "i*2".into(), true));
    assert_eq!(
        generated("label"),
        (T::String(Some(50)), "concat(v,'!')".into(), false)
    );
    let rest: Vec<&str> = sink.columns[expected_plain.len()..]
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        rest,
        [
            "doubled",
            "label",
            "p_code",
            "p_region",
            "parent_id",
            "other_id"
        ]
    );

    // The prefix and full-text indexes are left out, and so are the indexes
    // InnoDB made for the three foreign keys.
    assert_eq!(
        sink.indexes,
        [
            Index {
                name: "sink_i_bi".into(),
                columns: vec!["i".into(), "bi".into()],
                unique: false,
                constraint: false,
            },
            Index {
                name: "sink_v_c".into(),
                columns: vec!["v".into(), "c".into()],
                unique: true,
                constraint: true,
            },
        ]
    );

    let fk =
        |name: &str, columns: &[&str], ref_columns: &[&str], on_delete, on_update| ForeignKey {
            name: Some(name.into()),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ref_table: "parent".into(),
            ref_columns: ref_columns.iter().map(|c| c.to_string()).collect(),
            on_delete,
            on_update,
        };
    // An unspecified action reads as RESTRICT on MariaDB, NO ACTION on MySQL.
    let unspecified = sink.foreign_keys[0].on_update;
    assert!(matches!(
        unspecified,
        FkAction::Restrict | FkAction::NoAction
    ));
    assert_eq!(
        sink.foreign_keys,
        [
            fk(
                "sink_ibfk_1",
                &["other_id"],
                &["id"],
                unspecified,
                unspecified
            ),
            fk(
                "sink_code_fk",
                &["p_code", "p_region"],
                &["code", "region"],
                FkAction::Restrict,
                unspecified
            ),
            fk(
                "sink_parent_fk",
                &["parent_id"],
                &["id"],
                FkAction::SetNull,
                FkAction::Cascade
            ),
        ]
    );

    // The JSON check of `j` (MariaDB) is not a check of the table.
    assert_eq!(
        sink.checks,
        [Check {
            name: Some("sink_pos".into()),
            expr: "`dec1` > 0".into(),
        }]
    );

    let parent = schema.table("parent").unwrap();
    assert_eq!(parent.comment.as_deref(), Some("parents"));
    assert_eq!(
        parent.indexes,
        [Index {
            name: "parent_code_region".into(),
            columns: vec!["code".into(), "region".into()],
            unique: true,
            constraint: true,
        }]
    );
    let orphan = schema.table("orphan").unwrap();
    assert!(orphan.foreign_keys.is_empty());
    assert_eq!(
        orphan.indexes,
        [Index {
            name: "orphan_fk".into(),
            columns: vec!["pid".into()],
            unique: false,
            constraint: false,
        }]
    );

    // Normalized: one spelling per value.
    let normalized = normalize_schema(&schema);
    let sink = normalized.table("sink").unwrap();
    let norm = |name: &str| sink.column(name).unwrap().clone();
    assert_eq!(norm("ex").default, Some(DefaultValue::Expr("1+2".into())));
    assert_eq!(norm("doubled").generated.unwrap().expr, "i*2");
    assert_eq!(sink.checks[0].expr, "dec1>0");
    assert_eq!(sink.foreign_keys[0].on_update, FkAction::NoAction);
    assert_eq!(sink.foreign_keys[1].on_delete, FkAction::NoAction);
    assert_eq!(sink.foreign_keys[2].on_delete, FkAction::SetNull);
    assert_eq!(norm("si").default, Some(DefaultValue::Number("7".into())));
}

/// Every IR type MySQL can create, defaults of each kind, generated columns,
/// indexes, foreign keys, a check and comments, as the differ would ask for
/// them.
fn ir_kitchen_sink() -> Schema {
    use ColumnType as T;
    let nullable = |name: &str, ty: ColumnType| column(name, ty, true, None);
    let mut id = column("id", T::BigInteger, false, None);
    id.auto_increment = true;
    let mut owner = column("owner", T::Integer, true, None);
    owner.comment = Some("who owns it".into());
    let mut doubled = nullable("doubled", T::BigInteger);
    doubled.generated = Some(schema_diff::Generated {
        expr: "\"i\" * 2".into(),
        stored: true,
    });
    let mut shout = nullable("shout", T::String(Some(50)));
    shout.generated = Some(schema_diff::Generated {
        expr: "concat(\"s\", '!')".into(),
        stored: false,
    });
    let columns = vec![
        id,
        column("c", T::Char(Some(3)), true, string("abc")),
        nullable("c0", T::Char(None)),
        column("s", T::String(Some(40)), false, string("it's")),
        nullable("s0", T::String(None)),
        nullable("t", T::Text),
        column("ti", T::TinyInteger, false, num("-1")),
        column("si", T::SmallInteger, true, string("7")),
        nullable("i", T::Integer),
        column("bi", T::BigInteger, false, num("0")),
        nullable("tu", T::TinyUnsigned),
        nullable("su", T::SmallUnsigned),
        nullable("u", T::Unsigned),
        nullable("bu", T::BigUnsigned),
        column("f", T::Float, true, num("2.5")),
        column("d", T::Double, true, num("-0.5")),
        column("amount", T::Decimal(Some((12, 3))), true, num("1.5")),
        nullable("dec0", T::Decimal(None)),
        column(
            "dt",
            T::DateTime,
            true,
            Some(DefaultValue::CurrentTimestamp),
        ),
        nullable("ts", T::Timestamp),
        column(
            "tz",
            T::TimestampWithTimeZone,
            false,
            Some(DefaultValue::CurrentTimestamp),
        ),
        nullable("tm", T::Time),
        column("da", T::Date, true, string("2020-01-02")),
        nullable("y", T::Year),
        nullable("bin", T::Binary(16)),
        nullable("vb", T::VarBinary(Some(20))),
        nullable("vb0", T::VarBinary(None)),
        nullable("bl", T::Blob),
        column("b", T::Boolean, false, Some(DefaultValue::Bool(true))),
        nullable("m", T::Money),
        nullable("j", T::Json),
        nullable("jb", T::JsonBinary),
        nullable("uu", T::Uuid),
        column(
            "e",
            T::Enum {
                name: "status".into(),
                variants: vec!["a".into(), "b".into()],
            },
            false,
            string("a"),
        ),
        column("bits", T::Custom("bit(3)".into()), true, num("5")),
        nullable("lt", T::Custom("longtext".into())),
        column(
            "ex",
            T::Integer,
            true,
            Some(DefaultValue::Expr("1 + 2".into())),
        ),
        doubled,
        shout,
        owner,
    ];
    let parent = Table {
        name: "owners".into(),
        columns: vec![column("id", T::Integer, false, None)],
        primary_key: vec!["id".into()],
        ..Table::default()
    };
    let sink = Table {
        name: "ir_sink".into(),
        columns,
        primary_key: vec!["id".into()],
        indexes: vec![
            Index {
                name: "ir_sink_s_c_key".into(),
                columns: vec!["s".into(), "c".into()],
                unique: true,
                constraint: true,
            },
            Index {
                name: "ir_sink_i_bi_idx".into(),
                columns: vec!["i".into(), "bi".into()],
                unique: false,
                constraint: false,
            },
        ],
        foreign_keys: vec![ForeignKey {
            name: Some("fk-ir_sink-owner".into()),
            columns: vec!["owner".into()],
            ref_table: "owners".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::SetNull,
            on_update: FkAction::Restrict,
        }],
        checks: vec![Check {
            name: Some("ir_sink_amount".into()),
            expr: "amount > 0".into(),
        }],
        comment: Some("every type".into()),
        renamed_from: None,
    };
    let mut schema = Schema {
        tables: vec![parent, sink],
        enums: vec![EnumType {
            name: "status".into(),
            values: vec!["a".into(), "b".into()],
        }],
    };
    schema.sort();
    schema
}

#[tokio::test]
async fn ir_kitchen_sink_created_by_statements_diffs_to_nothing() {
    let Some(db) = scratch("ir_kitchen").await else {
        return;
    };
    let desired = ir_kitchen_sink();
    for table in ["owners", "ir_sink"] {
        // `statements` writes `NULL GENERATED ALWAYS AS ("i" * 2)`, which
        // MariaDB rejects (no NULL on generated columns, `"` quotes strings):
        // the generated columns are added by hand below, as MySQL spells them.
        let mut table = desired.table(table).unwrap().clone();
        table.columns.retain(|c| c.generated.is_none());
        db.db
            .execute(&statements::create_table(&table))
            .await
            .unwrap_or_else(|e| panic!("create {}: {e}", table.name));
        for index in statements::create_indexes(&table) {
            db.db.execute(&index).await.expect("create index");
        }
    }
    db.exec(
        "ALTER TABLE ir_sink ADD COLUMN doubled bigint AS (`i` * 2) STORED, \
         ADD COLUMN shout varchar(50) AS (CONCAT(s, '!')) VIRTUAL",
    )
    .await;
    let actual = introspect(&db.db).await.expect("introspect");
    let sink = actual.table("ir_sink").unwrap();
    assert_eq!(sink.checks.len(), 1, "{:?}", sink.checks);
    assert_eq!(canonical_expr(&sink.checks[0].expr), "amount>0");
    assert_eq!(sink.column("j").unwrap().ty, ColumnType::Json);
    assert_eq!(sink.column("uu").unwrap().ty, ColumnType::Binary(16));
    assert_eq!(
        sink.indexes
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        ["ir_sink_i_bi_idx", "ir_sink_s_c_key"],
        "the automatic index of fk-ir_sink-owner is left out"
    );
    let changes = diff(&actual, &desired, Dialect::MySql, &DiffOptions::default());
    // Column changes come grouped as SQLite rebuilds: describe what is inside.
    let described: Vec<String> = changes
        .iter()
        .flat_map(|c| match c {
            Change::RebuildTable { changes, .. } => changes.iter().map(Change::describe).collect(),
            other => vec![other.describe()],
        })
        .collect();
    assert!(
        changes.is_empty(),
        "the kitchen sink read back different:\n{}\n{changes:#?}",
        described.join("\n")
    );
}
