//! MySQL/MariaDB: column types, default texts, expressions and normalization,
//! without a database.

use schema_diff::desired::column_type_from_sea;
use schema_diff::dialect::mysql::{
    canonical_expr, canonical_type, normalize_default, normalize_schema, parse_default_literal,
    parse_default_sql, parse_type,
};
use schema_diff::{
    Column, ColumnType, DefaultValue, EnumType, FkAction, ForeignKey, Generated, Index, Schema,
    Table,
};
use sea_orm::sea_query::{self as sq, ColumnDef, MysqlQueryBuilder, StringLen, Table as SqTable};

/// What sea-query's MySQL backend writes as the type of a column of type `ty`,
/// read from a whole `CREATE TABLE` (not the helper the dialect uses).
fn sea_query_mysql_type(ty: sq::ColumnType) -> String {
    let sql = SqTable::create()
        .table("t")
        .col(ColumnDef::new_with_type("c", ty))
        .to_string(MysqlQueryBuilder);
    let start = sql.find("`c` ").expect("column in CREATE TABLE") + 4;
    let end = sql.rfind(" )").expect("end of CREATE TABLE");
    sql[start..end].to_owned()
}

fn enum_ty(variants: &[&str]) -> ColumnType {
    ColumnType::Enum {
        name: String::new(),
        variants: variants.iter().map(|v| v.to_string()).collect(),
    }
}

/// The normalization table of the module documentation: every sea-query type
/// MySQL can create, what sea-query writes, and the canonical IR. Both the
/// written spelling and the canonical type are checked, so neither can drift.
#[test]
fn canonical_type_is_what_sea_query_writes_read_back() {
    use ColumnType as T;
    use sq::ColumnType as S;
    let enum_variants = |vs: &[&str]| S::Enum {
        name: sq::Alias::new("status").into(),
        variants: vs.iter().map(|v| sq::Alias::new(*v).into()).collect(),
    };
    let cases: Vec<(S, &str, ColumnType)> = vec![
        (S::Char(Some(3)), "char(3)", T::Char(Some(3))),
        (S::Char(None), "char", T::Char(Some(1))),
        (
            S::String(StringLen::N(40)),
            "varchar(40)",
            T::String(Some(40)),
        ),
        (
            S::String(StringLen::None),
            "varchar(255)",
            T::String(Some(255)),
        ),
        (S::Text, "text", T::Text),
        (S::Blob, "blob", T::Blob),
        (S::TinyInteger, "tinyint", T::TinyInteger),
        (S::SmallInteger, "smallint", T::SmallInteger),
        (S::Integer, "int", T::Integer),
        (S::BigInteger, "bigint", T::BigInteger),
        (S::TinyUnsigned, "tinyint UNSIGNED", T::TinyUnsigned),
        (S::SmallUnsigned, "smallint UNSIGNED", T::SmallUnsigned),
        (S::Unsigned, "int UNSIGNED", T::Unsigned),
        (S::BigUnsigned, "bigint UNSIGNED", T::BigUnsigned),
        (S::Float, "float", T::Float),
        (S::Double, "double", T::Double),
        (
            S::Decimal(Some((10, 2))),
            "decimal(10, 2)",
            T::Decimal(Some((10, 2))),
        ),
        (S::Decimal(None), "decimal", T::Decimal(Some((10, 0)))),
        (S::DateTime, "datetime", T::DateTime),
        (S::Timestamp, "timestamp", T::Timestamp),
        (S::TimestampWithTimeZone, "timestamp", T::Timestamp),
        (S::Time, "time", T::Time),
        (S::Date, "date", T::Date),
        (S::Year, "year", T::Year),
        (S::Binary(16), "binary(16)", T::Binary(16)),
        (
            S::VarBinary(StringLen::N(32)),
            "varbinary(32)",
            T::VarBinary(Some(32)),
        ),
        (
            S::VarBinary(StringLen::None),
            "varbinary(255)",
            T::VarBinary(Some(255)),
        ),
        (S::Boolean, "bool", T::Boolean),
        (S::Money(None), "decimal", T::Decimal(Some((10, 0)))),
        (S::Json, "json", T::Json),
        (S::JsonBinary, "json", T::Json),
        (S::Uuid, "binary(16)", T::Binary(16)),
        (S::Bit(Some(3)), "bit(3)", T::Custom("bit(3)".into())),
        (S::Bit(None), "bit", T::Custom("bit(1)".into())),
        (
            enum_variants(&["a", "B"]),
            "ENUM('a', 'B')",
            enum_ty(&["a", "B"]),
        ),
        (
            S::custom("MEDIUMINT(8)"),
            "MEDIUMINT(8)",
            T::Custom("mediumint".into()),
        ),
        (
            S::custom("LongText"),
            "LongText",
            T::Custom("longtext".into()),
        ),
        (
            S::custom("ENUM('x', 'y')"),
            "ENUM('x', 'y')",
            enum_ty(&["x", "y"]),
        ),
        (S::custom("INT(11)"), "INT(11)", T::Integer),
    ];
    for (sea, written, canonical) in cases {
        let rendered = sea_query_mysql_type(sea.clone());
        assert_eq!(rendered, written, "sea-query's spelling of {sea:?}");
        let ir = column_type_from_sea(&sea).expect("IR type");
        assert_eq!(
            canonical_type(&ir),
            parse_type(&rendered),
            "canonical_type({ir:?}) is not what the server keeps for `{rendered}`"
        );
        assert_eq!(canonical_type(&ir), canonical, "canonical_type({ir:?})");
        assert_eq!(
            canonical_type(&canonical),
            canonical,
            "idempotent for {canonical:?}"
        );
    }
    // sea-query cannot write these for MySQL: left as they are.
    assert_eq!(canonical_type(&ColumnType::Interval), ColumnType::Interval);
    let array = ColumnType::Array(Box::new(ColumnType::Integer));
    assert_eq!(canonical_type(&array), array);
    // Enum type names are dropped (MySQL has none).
    let named = ColumnType::Enum {
        name: "status".into(),
        variants: vec!["a".into()],
    };
    assert_eq!(canonical_type(&named), enum_ty(&["a"]));
}

/// `COLUMN_TYPE` as MariaDB 10.11 and MySQL 8 write it.
#[test]
fn catalog_spellings_are_read() {
    use ColumnType as T;
    let cases: Vec<(&str, ColumnType)> = vec![
        ("int(11)", T::Integer),
        ("int", T::Integer),
        ("int(10) unsigned", T::Unsigned),
        ("int unsigned", T::Unsigned),
        ("tinyint(1)", T::Boolean),
        ("tinyint(4)", T::TinyInteger),
        ("tinyint", T::TinyInteger),
        ("tinyint(3) unsigned", T::TinyUnsigned),
        ("tinyint(1) unsigned", T::TinyUnsigned),
        ("smallint(6)", T::SmallInteger),
        ("smallint(5) unsigned", T::SmallUnsigned),
        ("bigint(20)", T::BigInteger),
        ("bigint(20) unsigned", T::BigUnsigned),
        ("bigint unsigned", T::BigUnsigned),
        ("mediumint(9)", T::Custom("mediumint".into())),
        (
            "mediumint(8) unsigned",
            T::Custom("mediumint unsigned".into()),
        ),
        (
            "int(10) unsigned zerofill",
            T::Custom("int unsigned zerofill".into()),
        ),
        ("decimal(10,2)", T::Decimal(Some((10, 2)))),
        ("decimal(10,0)", T::Decimal(Some((10, 0)))),
        (
            "decimal(10,2) unsigned",
            T::Custom("decimal(10,2) unsigned".into()),
        ),
        ("float", T::Float),
        ("float(7,4)", T::Custom("float(7,4)".into())),
        ("double", T::Double),
        ("year(4)", T::Year),
        ("year", T::Year),
        ("char(1)", T::Char(Some(1))),
        ("varchar(255)", T::String(Some(255))),
        ("text", T::Text),
        ("tinytext", T::Custom("tinytext".into())),
        ("longtext", T::Custom("longtext".into())),
        ("json", T::Json),
        ("binary(16)", T::Binary(16)),
        ("varbinary(20)", T::VarBinary(Some(20))),
        ("blob", T::Blob),
        ("longblob", T::Custom("longblob".into())),
        ("bit(1)", T::Custom("bit(1)".into())),
        ("datetime", T::DateTime),
        ("datetime(6)", T::Custom("datetime(6)".into())),
        ("timestamp(3)", T::Custom("timestamp(3)".into())),
        ("time", T::Time),
        ("date", T::Date),
        ("uuid", T::Custom("uuid".into())),
        ("enum('draft','it''s')", enum_ty(&["draft", "it's"])),
        ("enum('A','b\\\\c')", enum_ty(&["A", "b\\c"])),
        ("set('a','B')", T::Custom("set('a','B')".into())),
        ("geometry", T::Custom("geometry".into())),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_type(text), expected, "parse_type({text:?})");
    }
}

fn num(n: &str) -> DefaultValue {
    DefaultValue::Number(n.into())
}

fn string(s: &str) -> DefaultValue {
    DefaultValue::String(s.into())
}

/// MariaDB 10.2.7+ `COLUMN_DEFAULT` (SQL text), and MySQL expression defaults.
#[test]
fn sql_defaults_are_read() {
    use DefaultValue as D;
    let cases: Vec<(&str, DefaultValue)> = vec![
        ("'light'", string("light")),
        ("'it''s'", string("it's")),
        ("'a\\\\b'", string("a\\b")),
        ("''", string("")),
        ("'NULL'", string("NULL")),
        ("_utf8mb4'x'", string("x")),
        ("NULL", D::Null),
        ("1.50", num("1.5")),
        ("-1", num("-1")),
        ("2.5e3", num("2500")),
        ("b'101'", num("5")),
        ("b'0'", num("0")),
        ("current_timestamp()", D::CurrentTimestamp),
        ("CURRENT_TIMESTAMP", D::CurrentTimestamp),
        ("now()", D::CurrentTimestamp),
        (
            "current_timestamp(3)",
            D::Expr("current_timestamp(3)".into()),
        ),
        ("curdate()", D::CurrentDate),
        ("curtime()", D::CurrentTime),
        ("(1 + 2)", D::Expr("1 + 2".into())),
        ("(uuid())", D::Expr("uuid()".into())),
        ("TRUE", D::Bool(true)),
    ];
    for (text, expected) in cases {
        assert_eq!(
            parse_default_sql(text),
            expected,
            "parse_default_sql({text:?})"
        );
    }
}

/// MySQL (and MariaDB before 10.2.7) `COLUMN_DEFAULT`: bare values.
#[test]
fn literal_defaults_are_read_by_column_type() {
    use ColumnType as T;
    let cases: Vec<(&str, ColumnType, DefaultValue)> = vec![
        ("light", T::String(Some(32)), string("light")),
        ("5", T::String(Some(32)), string("5")),
        ("'x'", T::String(Some(32)), string("'x'")),
        ("NULL", T::String(Some(32)), string("NULL")),
        ("", T::Char(Some(3)), string("")),
        ("1", T::Boolean, num("1")),
        ("1.50", T::Decimal(Some((10, 2))), num("1.5")),
        ("-0.5", T::Double, num("-0.5")),
        ("b'101'", T::Custom("bit(3)".into()), num("5")),
        (
            "CURRENT_TIMESTAMP",
            T::Timestamp,
            DefaultValue::CurrentTimestamp,
        ),
        ("2020-01-02", T::Date, string("2020-01-02")),
        ("draft", enum_ty(&["draft"]), string("draft")),
    ];
    for (text, ty, expected) in cases {
        assert_eq!(
            parse_default_literal(text, &ty),
            expected,
            "parse_default_literal({text:?}, {ty:?})"
        );
    }
}

#[test]
fn defaults_are_made_canonical_for_their_column() {
    use ColumnType as T;
    use DefaultValue as D;
    let cases: Vec<(DefaultValue, ColumnType, Option<DefaultValue>)> = vec![
        (D::Bool(true), T::Boolean, Some(num("1"))),
        (D::Bool(false), T::Integer, Some(num("0"))),
        (num("1"), T::Boolean, Some(num("1"))),
        (string("1"), T::Integer, Some(num("1"))),
        (string("1.50"), T::Decimal(Some((10, 2))), Some(num("1.5"))),
        (string("abc"), T::Integer, Some(string("abc"))),
        (num("5"), T::String(Some(10)), Some(string("5"))),
        (D::Bool(false), T::String(Some(10)), Some(string("0"))),
        (num("2.5e3"), T::Float, Some(num("2500"))),
        (num("007"), T::Integer, Some(num("7"))),
        (D::Null, T::Integer, None),
        (D::Expr("NULL".into()), T::Integer, None),
        (
            D::Expr("CURRENT_TIMESTAMP".into()),
            T::Timestamp,
            Some(D::CurrentTimestamp),
        ),
        (D::Expr("'x'".into()), T::Text, Some(string("x"))),
        (
            D::Expr("(1 + 2)".into()),
            T::Integer,
            Some(D::Expr("1+2".into())),
        ),
        (D::CurrentDate, T::Date, Some(D::CurrentDate)),
    ];
    for (default, ty, expected) in cases {
        assert_eq!(
            normalize_default(&default, &ty),
            expected,
            "normalize_default({default:?}, {ty:?})"
        );
    }
}

#[test]
fn expressions_are_made_canonical() {
    for spelling in ["(`i` * 2)", "`i` * 2", "\"i\" * 2", "i*2", "((I * 2))"] {
        assert_eq!(canonical_expr(spelling), "i*2", "{spelling}");
    }
    assert_eq!(
        canonical_expr("concat(`v`,_utf8mb4'A B')"),
        "concat(v,'A B')",
        "string literals keep their case and blanks"
    );
    assert_eq!(canonical_expr("CONCAT(v, 'A B')"), "concat(v,'A B')");
    assert_eq!(canonical_expr("'it''s' = x"), "'it''s'=x");
    assert_ne!(canonical_expr("a > 1"), canonical_expr("a >= 1"));
}

/// A table as the entities declare it (SQLite statements) and as MariaDB
/// reports it after `CREATE TABLE` from MySQL statements.
fn desired_and_actual() -> (Schema, Schema) {
    let mut id = Column::new("id", ColumnType::Uuid);
    id.nullable = true;
    let mut status = Column::new(
        "status",
        ColumnType::Enum {
            name: "status".into(),
            variants: vec!["a".into(), "b".into()],
        },
    );
    status.default = Some(DefaultValue::String("a".into()));
    let mut flag = Column::new("flag", ColumnType::Boolean);
    flag.default = Some(DefaultValue::Bool(true));
    let mut owner = Column::new("owner", ColumnType::Integer);
    owner.comment = Some("who".into());
    let mut doubled = Column::new("doubled", ColumnType::BigInteger);
    doubled.generated = Some(Generated {
        expr: "\"owner\" * 2".into(),
        stored: true,
    });
    let desired_table = Table {
        name: "t".into(),
        columns: vec![id, status, flag, owner, doubled],
        primary_key: vec!["id".into()],
        indexes: vec![
            Index {
                name: "t_status_key".into(),
                columns: vec!["status".into()],
                unique: true,
                constraint: false,
            },
            Index {
                name: "t_owner_idx".into(),
                columns: vec!["owner".into()],
                unique: false,
                constraint: false,
            },
        ],
        foreign_keys: vec![ForeignKey {
            name: Some("fk".into()),
            columns: vec!["owner".into()],
            ref_table: "u".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::Restrict,
            on_update: FkAction::NoAction,
        }],
        comment: Some("table".into()),
        ..Table::default()
    };
    let desired = Schema {
        tables: vec![desired_table.clone()],
        enums: vec![EnumType {
            name: "status".into(),
            values: vec!["a".into(), "b".into()],
        }],
    };

    let mut actual_table = desired_table;
    let cols = &mut actual_table.columns;
    cols[0].ty = ColumnType::Binary(16);
    cols[0].nullable = false;
    cols[1].ty = parse_type("enum('a','b')");
    cols[1].default = Some(parse_default_sql("'a'"));
    cols[2].ty = parse_type("tinyint(1)");
    cols[2].default = Some(parse_default_sql("1"));
    cols[3].ty = parse_type("int(11)");
    cols[4].ty = parse_type("bigint(20)");
    cols[4].generated = Some(Generated {
        expr: "`owner` * 2".into(),
        stored: true,
    });
    actual_table.indexes[0].constraint = true;
    actual_table.indexes[0].name = "status".into();
    actual_table.foreign_keys[0].on_delete = FkAction::NoAction;
    actual_table.foreign_keys[0].on_update = FkAction::Restrict;
    let actual = Schema {
        tables: vec![actual_table],
        enums: Vec::new(),
    };
    (desired, actual)
}

#[test]
fn normalization_makes_both_sides_equal_and_keeps_names_and_positions() {
    let (desired, actual) = desired_and_actual();
    let (d, a) = (normalize_schema(&desired), normalize_schema(&actual));
    assert!(d.enums.is_empty(), "MySQL has no named enum types");
    let (dt, at) = (&d.tables[0], &a.tables[0]);
    assert_eq!(dt.columns, at.columns);
    assert_eq!(dt.foreign_keys, at.foreign_keys);
    assert_eq!(dt.primary_key, at.primary_key);
    assert_eq!(dt.comment.as_deref(), Some("table"));
    assert_eq!(dt.columns[3].comment.as_deref(), Some("who"));
    // Names and positions are kept (the differ matches indexes by columns).
    let names = |t: &Table| {
        t.indexes
            .iter()
            .map(|i| (i.name.clone(), i.constraint))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(dt),
        [("t_status_key".into(), true), ("t_owner_idx".into(), false)]
    );
    assert_eq!(
        names(at),
        [("status".into(), true), ("t_owner_idx".into(), false)]
    );
    let column_names: Vec<&str> = dt.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(column_names, ["id", "status", "flag", "owner", "doubled"]);
    assert_eq!(dt.columns[0].ty, ColumnType::Binary(16));
    assert!(!dt.columns[0].nullable, "primary key columns are NOT NULL");
    assert_eq!(dt.columns[2].default, Some(num("1")));
    assert_eq!(dt.columns[4].generated.as_ref().unwrap().expr, "owner*2");
    assert_eq!(dt.foreign_keys[0].on_delete, FkAction::NoAction);

    let changes = schema_diff::diff(
        &actual,
        &desired,
        schema_diff::Dialect::MySql,
        &schema_diff::DiffOptions::default(),
    );
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn normalization_still_sees_real_differences() {
    let (desired, mut actual) = desired_and_actual();
    actual.tables[0].columns[2].default = Some(parse_default_sql("0"));
    actual.tables[0].columns[3].ty = parse_type("bigint(20)");
    actual.tables[0].foreign_keys[0].on_delete = FkAction::Cascade;
    let (d, a) = (normalize_schema(&desired), normalize_schema(&actual));
    let (dt, at) = (&d.tables[0], &a.tables[0]);
    assert_ne!(dt.columns[2].default, at.columns[2].default);
    assert_ne!(dt.columns[3].ty, at.columns[3].ty);
    assert_ne!(dt.foreign_keys[0], at.foreign_keys[0]);
}
