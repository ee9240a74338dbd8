//! SQLite: declared types, default texts and normalization, without a database.

use schema_diff::desired::column_type_from_sea;
use schema_diff::dialect::sqlite::{
    canonical_number, canonical_type, normalize_default, normalize_schema, parse_default,
    parse_type,
};
use schema_diff::{
    Column, ColumnType, DefaultValue, EnumType, FkAction, ForeignKey, Index, Schema, Table,
};
use sea_orm::sea_query::{self as sq, ColumnDef, SqliteQueryBuilder, StringLen, Table as SqTable};

/// What sea-query's SQLite backend writes as the type of a column of type `ty`.
fn sea_query_sqlite_type(ty: sq::ColumnType) -> String {
    let sql = SqTable::create()
        .table("t")
        .col(ColumnDef::new_with_type("c", ty))
        .to_string(SqliteQueryBuilder);
    let start = sql.find("\"c\" ").expect("column in CREATE TABLE") + 4;
    let end = sql.rfind(" )").expect("end of CREATE TABLE");
    sql[start..end].to_owned()
}

#[test]
fn canonical_type_is_what_sea_query_writes_read_back() {
    use sq::ColumnType as S;
    let types = vec![
        S::Char(Some(3)),
        S::Char(None),
        S::String(StringLen::N(255)),
        S::String(StringLen::None),
        S::Text,
        S::Blob,
        S::TinyInteger,
        S::SmallInteger,
        S::Integer,
        S::BigInteger,
        S::TinyUnsigned,
        S::SmallUnsigned,
        S::Unsigned,
        S::BigUnsigned,
        S::Float,
        S::Double,
        S::Decimal(Some((10, 2))),
        S::Decimal(None),
        S::DateTime,
        S::Timestamp,
        S::TimestampWithTimeZone,
        S::Time,
        S::Date,
        S::Binary(16),
        S::VarBinary(StringLen::N(32)),
        S::VarBinary(StringLen::None),
        S::Boolean,
        S::Money(None),
        S::Json,
        S::JsonBinary,
        S::Uuid,
        S::custom("citext"),
        S::custom("VARCHAR(20)"),
        S::Enum {
            name: sq::Alias::new("mood").into(),
            variants: vec![sq::Alias::new("happy").into()],
        },
    ];
    for ty in types {
        let written = sea_query_sqlite_type(ty.clone());
        let ir = column_type_from_sea(&ty).expect("IR type");
        let read_back = parse_type(&written);
        assert_eq!(
            canonical_type(&ir),
            read_back,
            "{ty:?} is written as `{written}`"
        );
        assert_eq!(
            canonical_type(&read_back),
            read_back,
            "canonical of `{written}` is stable"
        );
    }
}

#[test]
fn sea_query_spellings() {
    let cases = [
        ("varchar(255)", ColumnType::String(Some(255))),
        ("varchar", ColumnType::String(None)),
        ("char(7)", ColumnType::Char(Some(7))),
        ("integer", ColumnType::Integer),
        ("tinyint", ColumnType::TinyInteger),
        ("smallint", ColumnType::SmallInteger),
        ("real(10, 2)", ColumnType::Decimal(Some((10, 2)))),
        ("real_decimal", ColumnType::Decimal(None)),
        ("datetime_text", ColumnType::DateTime),
        ("timestamp_text", ColumnType::Timestamp),
        (
            "timestamp_with_timezone_text",
            ColumnType::TimestampWithTimeZone,
        ),
        ("time_text", ColumnType::Time),
        ("date_text", ColumnType::Date),
        ("json_text", ColumnType::Json),
        ("jsonb_text", ColumnType::JsonBinary),
        ("uuid_text", ColumnType::Uuid),
        ("enum_text", ColumnType::Custom("enum_text".into())),
        ("blob", ColumnType::Blob),
        ("blob(16)", ColumnType::Binary(16)),
        ("varbinary_blob(32)", ColumnType::VarBinary(Some(32))),
        ("varbinary_blob", ColumnType::VarBinary(None)),
        ("boolean", ColumnType::Boolean),
        ("real_money", ColumnType::Money),
        ("float", ColumnType::Float),
        ("double", ColumnType::Double),
    ];
    for (text, ty) in cases {
        assert_eq!(parse_type(text), ty, "{text}");
    }
}

#[test]
fn hand_written_spellings() {
    let cases = [
        ("INT", ColumnType::Integer),
        ("INTEGER", ColumnType::Integer),
        ("BIGINT", ColumnType::BigInteger),
        ("unsigned  big int", ColumnType::BigInteger),
        ("TEXT", ColumnType::Text),
        ("VARCHAR( 40 )", ColumnType::String(Some(40))),
        ("CHARACTER VARYING(10)", ColumnType::String(Some(10))),
        ("NVARCHAR(3)", ColumnType::String(Some(3))),
        ("BOOLEAN", ColumnType::Boolean),
        ("bool", ColumnType::Boolean),
        ("REAL", ColumnType::Double),
        ("DOUBLE PRECISION", ColumnType::Double),
        ("NUMERIC", ColumnType::Decimal(None)),
        ("NUMERIC(12,3)", ColumnType::Decimal(Some((12, 3)))),
        ("DECIMAL(5)", ColumnType::Decimal(Some((5, 0)))),
        ("DATETIME", ColumnType::DateTime),
        ("DATE", ColumnType::Date),
        ("TIMESTAMP", ColumnType::Timestamp),
        ("UUID", ColumnType::Uuid),
        ("CLOB", ColumnType::Text),
        ("", ColumnType::Custom(String::new())),
        ("GEOMETRY", ColumnType::Custom("GEOMETRY".into())),
        ("varchar(x)", ColumnType::Custom("varchar(x)".into())),
    ];
    for (text, ty) in cases {
        assert_eq!(parse_type(text), ty, "{text:?}");
    }
}

#[test]
fn defaults() {
    let n = |s: &str| DefaultValue::Number(s.into());
    let cases = [
        ("1", n("1")),
        ("-3", n("-3")),
        ("+2.50", n("2.5")),
        ("(-1.50)", n("-1.5")),
        ("0.0", n("0")),
        ("1E+03", n("1e3")),
        ("'light'", DefaultValue::String("light".into())),
        ("'it''s'", DefaultValue::String("it's".into())),
        ("''", DefaultValue::String(String::new())),
        ("TRUE", DefaultValue::Bool(true)),
        ("false", DefaultValue::Bool(false)),
        ("NULL", DefaultValue::Null),
        ("CURRENT_TIMESTAMP", DefaultValue::CurrentTimestamp),
        ("(current_date)", DefaultValue::CurrentDate),
        ("CURRENT_TIME", DefaultValue::CurrentTime),
        (
            "(datetime('now'))",
            DefaultValue::Expr("datetime('now')".into()),
        ),
        ("'a' || 'b'", DefaultValue::Expr("'a' || 'b'".into())),
        ("(1) + (2)", DefaultValue::Expr("(1) + (2)".into())),
        ("X'00FF'", DefaultValue::Expr("X'00FF'".into())),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_default(text), expected, "{text:?}");
    }
}

#[test]
fn numbers() {
    assert_eq!(canonical_number("007").as_deref(), Some("7"));
    assert_eq!(canonical_number("-0").as_deref(), Some("0"));
    assert_eq!(canonical_number(".5").as_deref(), Some("0.5"));
    assert_eq!(canonical_number("1.").as_deref(), Some("1"));
    assert_eq!(canonical_number("2e0").as_deref(), Some("2"));
    assert_eq!(canonical_number("abc"), None);
    assert_eq!(canonical_number("1e"), None);
    assert_eq!(canonical_number("-"), None);
    assert_eq!(canonical_number("0x10"), None);
}

#[test]
fn default_normalization() {
    let norm = |d: DefaultValue| normalize_default(&d);
    assert_eq!(
        norm(DefaultValue::Bool(true)),
        Some(DefaultValue::Number("1".into()))
    );
    assert_eq!(
        norm(DefaultValue::Bool(false)),
        norm(DefaultValue::Number("0.0".into()))
    );
    assert_eq!(norm(DefaultValue::Null), None);
    assert_eq!(
        norm(DefaultValue::Expr("CURRENT_TIMESTAMP".into())),
        Some(DefaultValue::CurrentTimestamp)
    );
    assert_eq!(
        norm(DefaultValue::Expr("(lower( 'A  B' ))".into())),
        Some(DefaultValue::Expr("lower( 'A  B' )".into()))
    );
    assert_eq!(
        norm(DefaultValue::Expr("a  +\n b".into())),
        Some(DefaultValue::Expr("a + b".into()))
    );
}

fn column(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

#[test]
fn schema_normalization_keeps_names_and_positions() {
    let mut id = column("id", ColumnType::BigInteger);
    id.nullable = true;
    let mut role = column(
        "role",
        ColumnType::Enum {
            name: "r".into(),
            variants: vec!["a".into()],
        },
    );
    role.comment = Some("who".into());
    role.default = Some(DefaultValue::Bool(true));
    let mut other = column("other", ColumnType::Integer);
    other.auto_increment = true;
    let table = Table {
        name: "t".into(),
        columns: vec![id, role, other],
        primary_key: vec!["id".into()],
        indexes: vec![
            Index {
                name: "z".into(),
                columns: vec!["role".into()],
                unique: true,
                constraint: true,
            },
            Index {
                name: "a".into(),
                columns: vec!["other".into()],
                unique: false,
                constraint: false,
            },
        ],
        foreign_keys: vec![ForeignKey {
            name: Some("fk".into()),
            columns: vec!["other".into()],
            ref_table: "u".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::Cascade,
            on_update: FkAction::NoAction,
        }],
        comment: Some("table comment".into()),
        renamed_from: Some("old".into()),
        ..Table::default()
    };
    let schema = Schema {
        tables: vec![table.clone()],
        enums: vec![EnumType {
            name: "r".into(),
            values: vec!["a".into()],
        }],
    };
    let normalized = normalize_schema(&schema);
    assert!(normalized.enums.is_empty());
    let t = &normalized.tables[0];
    assert_eq!(t.comment, None);
    assert_eq!(t.renamed_from.as_deref(), Some("old"));
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "role", "other"]);
    assert_eq!(t.columns[0].ty, ColumnType::Integer);
    assert!(
        t.columns[0].auto_increment,
        "a single INTEGER primary key is the rowid"
    );
    assert!(!t.columns[0].nullable);
    assert_eq!(t.columns[1].ty, ColumnType::Custom("enum_text".into()));
    assert_eq!(t.columns[1].comment, None);
    assert_eq!(t.columns[1].default, Some(DefaultValue::Number("1".into())));
    assert!(
        !t.columns[2].auto_increment,
        "only the rowid alias can be auto-increment"
    );
    assert_eq!(t.indexes, table.indexes, "indexes keep names and positions");
    assert_eq!(t.foreign_keys[0].name, None);
    assert_eq!(t.foreign_keys[0].on_delete, FkAction::Cascade);
}

#[test]
fn composite_integer_key_is_not_auto_increment() {
    let mut a = column("a", ColumnType::Integer);
    a.auto_increment = true;
    let table = Table {
        name: "t".into(),
        columns: vec![a, column("b", ColumnType::Integer)],
        primary_key: vec!["a".into(), "b".into()],
        ..Table::default()
    };
    let normalized = normalize_schema(&Schema {
        tables: vec![table],
        enums: vec![],
    });
    assert!(
        normalized.tables[0]
            .columns
            .iter()
            .all(|c| !c.auto_increment)
    );
}
