//! PostgreSQL: catalog type names, default expressions and normalization,
//! without a database.

use schema_diff::desired::column_type_from_sea;
use schema_diff::dialect::postgres::{
    canonical_type, normalize_default, normalize_expr, normalize_schema, parse_default, parse_type,
};
use schema_diff::{
    Check, Column, ColumnType, DefaultValue, EnumType, FkAction, ForeignKey, Generated, Index,
    Schema, Table,
};
use sea_orm::sea_query::{
    self as sq, ColumnDef, PostgresQueryBuilder, StringLen, Table as SqTable,
};

/// What sea-query's PostgreSQL backend writes as the type of a column of type `ty`.
fn sea_query_postgres_type(ty: sq::ColumnType) -> String {
    let sql = SqTable::create()
        .table("t")
        .col(ColumnDef::new_with_type("c", ty))
        .to_string(PostgresQueryBuilder);
    let start = sql.find("\"c\" ").expect("column in CREATE TABLE") + 4;
    let end = sql.rfind(" )").expect("end of CREATE TABLE");
    sql[start..end].to_owned()
}

/// Every sea-query type the IR can hold that sea-query can write for PostgreSQL.
fn every_type() -> Vec<sq::ColumnType> {
    use sq::ColumnType as S;
    vec![
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
        S::Interval(None, None),
        S::Binary(16),
        S::VarBinary(StringLen::N(32)),
        S::VarBinary(StringLen::None),
        S::Bit(Some(8)),
        S::Bit(None),
        S::VarBit(4),
        S::Boolean,
        S::Money(None),
        S::Json,
        S::JsonBinary,
        S::Uuid,
        S::Vector(Some(3)),
        S::Cidr,
        S::Inet,
        S::MacAddr,
        S::custom("citext"),
        S::custom("VARCHAR(20)"),
        S::custom("int4"),
        S::custom("timetz"),
        S::Array(S::Integer.into()),
        S::Array(S::String(StringLen::N(20)).into()),
        S::Array(S::Array(S::Double.into()).into()),
    ]
}

#[test]
fn canonical_type_is_what_sea_query_writes_read_back() {
    for sea in every_type() {
        let written = sea_query_postgres_type(sea.clone());
        let ir = column_type_from_sea(&sea).expect("supported type");
        let read_back = parse_type(&written);
        assert_eq!(
            canonical_type(&ir),
            canonical_type(&read_back),
            "{sea:?} is written `{written}`"
        );
        assert_eq!(
            canonical_type(&read_back),
            read_back,
            "canonical of `{written}` is stable"
        );
    }
}

#[test]
fn canonical_types() {
    use ColumnType as T;
    let cases = [
        (T::TinyInteger, T::SmallInteger),
        (T::TinyUnsigned, T::SmallInteger),
        (T::SmallUnsigned, T::Integer),
        (T::Unsigned, T::BigInteger),
        (T::BigUnsigned, T::BigInteger),
        (T::Float, T::Float),
        (T::Double, T::Double),
        (T::Timestamp, T::DateTime),
        (T::DateTime, T::DateTime),
        (T::Binary(16), T::Blob),
        (T::VarBinary(None), T::Blob),
        (T::VarBinary(Some(8)), T::Blob),
        (T::String(None), T::String(None)),
        (T::String(Some(9)), T::String(Some(9))),
        (T::Char(None), T::Char(Some(1))),
        (T::Money, T::Money),
        (T::Decimal(None), T::Decimal(None)),
        (T::Year, T::Year),
        (T::Custom("INT8".into()), T::BigInteger),
        (
            T::Custom("varbit(4)".into()),
            T::Custom("bit varying(4)".into()),
        ),
        (T::Custom("bpchar".into()), T::Custom("bpchar".into())),
        (
            T::Array(Box::new(T::Array(Box::new(T::TinyInteger)))),
            T::Array(Box::new(T::SmallInteger)),
        ),
        (
            T::Enum {
                name: "mood".into(),
                variants: vec!["a".into()],
            },
            T::Enum {
                name: "mood".into(),
                variants: vec!["a".into()],
            },
        ),
    ];
    for (ty, canonical) in cases {
        assert_eq!(canonical_type(&ty), canonical, "{ty:?}");
    }
}

#[test]
fn format_type_spellings() {
    use ColumnType as T;
    let cases = [
        ("character varying(255)", T::String(Some(255))),
        ("character varying", T::String(None)),
        ("character(5)", T::Char(Some(5))),
        ("character(1)", T::Char(Some(1))),
        ("bpchar", T::Custom("bpchar".into())),
        ("text", T::Text),
        ("smallint", T::SmallInteger),
        ("integer", T::Integer),
        ("bigint", T::BigInteger),
        ("real", T::Float),
        ("double precision", T::Double),
        ("numeric(10,2)", T::Decimal(Some((10, 2)))),
        ("numeric(5,0)", T::Decimal(Some((5, 0)))),
        ("numeric", T::Decimal(None)),
        ("boolean", T::Boolean),
        ("date", T::Date),
        ("time without time zone", T::Time),
        ("timestamp without time zone", T::DateTime),
        ("timestamp with time zone", T::TimestampWithTimeZone),
        ("interval", T::Interval),
        ("bytea", T::Blob),
        ("money", T::Money),
        ("json", T::Json),
        ("jsonb", T::JsonBinary),
        ("uuid", T::Uuid),
        ("integer[]", T::Array(Box::new(T::Integer))),
        (
            "character varying(20)[]",
            T::Array(Box::new(T::String(Some(20)))),
        ),
        (
            "\"Mood\"[]",
            T::Array(Box::new(T::Custom("\"Mood\"".into()))),
        ),
        ("\"char\"", T::Custom("\"char\"".into())),
        (
            "timestamp(3) without time zone",
            T::Custom("timestamp(3) without time zone".into()),
        ),
        (
            "time with time zone",
            T::Custom("time with time zone".into()),
        ),
        ("interval day", T::Custom("interval day".into())),
        ("bit(1)", T::Custom("bit(1)".into())),
        ("bit varying(4)", T::Custom("bit varying(4)".into())),
        ("public.citext", T::Custom("public.citext".into())),
    ];
    for (text, ty) in cases {
        assert_eq!(parse_type(text), ty, "{text}");
    }
}

#[test]
fn hand_written_spellings() {
    use ColumnType as T;
    let cases = [
        ("VARCHAR(40)", T::String(Some(40))),
        ("char", T::Char(Some(1))),
        ("INT", T::Integer),
        ("int2", T::SmallInteger),
        ("serial", T::Integer),
        ("BIGSERIAL", T::BigInteger),
        ("float4", T::Float),
        ("float", T::Double),
        ("float(10)", T::Float),
        ("float(30)", T::Double),
        ("decimal(12, 3)", T::Decimal(Some((12, 3)))),
        ("decimal(7)", T::Decimal(Some((7, 0)))),
        ("bool", T::Boolean),
        ("timestamptz", T::TimestampWithTimeZone),
        ("timestamp", T::DateTime),
        ("  double   precision ", T::Double),
        ("int[3][3]", T::Array(Box::new(T::Integer))),
        ("timetz", T::Custom("time with time zone".into())),
        ("time(6)", T::Custom("time(6) without time zone".into())),
        (
            "timestamptz(0)",
            T::Custom("timestamp(0) with time zone".into()),
        ),
        ("bit", T::Custom("bit(1)".into())),
        ("Vector(3)", T::Custom("vector(3)".into())),
        ("CITEXT", T::Custom("citext".into())),
    ];
    for (text, ty) in cases {
        assert_eq!(parse_type(text), ty, "{text}");
    }
}

#[test]
fn defaults() {
    use DefaultValue as D;
    let cases = [
        ("'x'::character varying", D::String("x".into())),
        ("'it''s'::text", D::String("it's".into())),
        ("'ab'::bpchar", D::String("ab".into())),
        ("'admin'::user_role", D::String("admin".into())),
        ("'{}'::jsonb", D::String("{}".into())),
        ("'{}'::integer[]", D::String("{}".into())),
        ("'1.5'::text", D::String("1.5".into())),
        ("42", D::Number("42".into())),
        ("1.50", D::Number("1.5".into())),
        ("'-3'::integer", D::Number("-3".into())),
        ("'-1.5'::numeric", D::Number("-1.5".into())),
        ("'3000000000'::bigint", D::Number("3000000000".into())),
        ("'-2.5'::double precision", D::Number("-2.5".into())),
        ("(1)::smallint", D::Number("1".into())),
        ("(-1)", D::Number("-1".into())),
        ("true", D::Bool(true)),
        ("false", D::Bool(false)),
        ("'t'::boolean", D::Bool(true)),
        ("now()", D::CurrentTimestamp),
        ("CURRENT_TIMESTAMP", D::CurrentTimestamp),
        ("CURRENT_DATE", D::CurrentDate),
        ("CURRENT_TIME", D::CurrentTime),
        ("NULL::character varying", D::Null),
        ("NULL", D::Null),
        ("LOCALTIMESTAMP", D::Expr("LOCALTIMESTAMP".into())),
        ("gen_random_uuid()", D::Expr("gen_random_uuid()".into())),
        (
            "nextval('t_id_seq'::regclass)",
            D::Expr("nextval('t_id_seq'::regclass)".into()),
        ),
        ("('now'::text)::date", D::Expr("('now'::text)::date".into())),
        (
            "'a'::text || 'b'::text",
            D::Expr("'a'::text || 'b'::text".into()),
        ),
        (
            "timezone('utc'::text, now())",
            D::Expr("timezone('utc'::text, now())".into()),
        ),
    ];
    for (text, default) in cases {
        assert_eq!(parse_default(text), default, "{text}");
    }
}

#[test]
fn default_normalization() {
    use ColumnType as T;
    use DefaultValue as D;
    let cases = [
        (D::Null, T::Text, None),
        (
            D::Expr("now()".into()),
            T::DateTime,
            Some(D::CurrentTimestamp),
        ),
        (
            D::Expr("'x'::text".into()),
            T::Text,
            Some(D::String("x".into())),
        ),
        (
            D::Number("1.50".into()),
            T::Decimal(None),
            Some(D::Number("1.5".into())),
        ),
        (
            D::String("7".into()),
            T::Integer,
            Some(D::Number("7".into())),
        ),
        (
            D::Number("7".into()),
            T::String(None),
            Some(D::String("7".into())),
        ),
        (D::String("true".into()), T::Boolean, Some(D::Bool(true))),
        (D::Bool(false), T::Text, Some(D::String("false".into()))),
        (D::Bool(true), T::Boolean, Some(D::Bool(true))),
        (
            D::Number("1.5e3".into()),
            T::Float,
            Some(D::Number("1500".into())),
        ),
        (
            D::Number("-15e-4".into()),
            T::Double,
            Some(D::Number("-0.0015".into())),
        ),
        (
            D::Expr("'1000'::numeric".into()),
            T::Float,
            Some(D::Number("1000".into())),
        ),
        (
            D::String("2E2".into()),
            T::Integer,
            Some(D::Number("200".into())),
        ),
        (
            D::Expr(r#"'{"a": [1, 2], "b": 1}'::jsonb"#.into()),
            T::JsonBinary,
            Some(D::String(r#"{"a":[1,2],"b":1}"#.into())),
        ),
        (
            D::String(r#"{"b":1, "a":[1,2]}"#.into()),
            T::Json,
            Some(D::String(r#"{"a":[1,2],"b":1}"#.into())),
        ),
        (
            D::String("{not json".into()),
            T::Json,
            Some(D::String("{not json".into())),
        ),
        (
            D::String("admin".into()),
            T::Custom("user_role".into()),
            Some(D::String("admin".into())),
        ),
        (
            D::Expr("gen_random_uuid(  )".into()),
            T::Uuid,
            Some(D::Expr("gen_random_uuid( )".into())),
        ),
    ];
    for (default, ty, normalized) in cases {
        assert_eq!(
            normalize_default(&default, &ty),
            normalized,
            "{default:?} on {ty:?}"
        );
    }
}

#[test]
fn expressions() {
    assert_eq!(normalize_expr("(i2 * 2)"), "i2 * 2");
    assert_eq!(normalize_expr("\"i2\"  *  2"), "i2 * 2");
    assert_eq!(normalize_expr("\"Big\" + \"a b\""), "\"Big\" + \"a b\"");
    assert_eq!(normalize_expr("name <> '\"x\"'"), "name <> '\"x\"'");
    assert_eq!(normalize_expr("\"unterminated"), "\"unterminated");
}

fn column(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

#[test]
fn schema_normalization_keeps_names_and_positions() {
    let mut id = column("id", ColumnType::Unsigned);
    id.auto_increment = true;
    id.nullable = true;
    id.default = Some(DefaultValue::Expr("nextval('t_id_seq'::regclass)".into()));
    let mut code = column("Code", ColumnType::Char(None));
    code.nullable = true;
    code.default = Some(DefaultValue::Expr("'ab'::bpchar".into()));
    code.comment = Some(String::new());
    let mut mood = column("mood", ColumnType::Custom("mood".into()));
    mood.comment = Some("How it feels".into());
    let mut twice = column("twice", ColumnType::BigInteger);
    twice.generated = Some(Generated {
        expr: "(\"id\" * 2)".into(),
        stored: true,
    });
    twice.default = Some(DefaultValue::Number("0".into()));
    let table = Table {
        name: "T".into(),
        columns: vec![id, code, mood, twice],
        primary_key: vec!["Code".into()],
        indexes: vec![
            Index {
                name: "z_idx".into(),
                columns: vec!["mood".into()],
                unique: false,
                constraint: false,
            },
            Index {
                name: "a_key".into(),
                columns: vec!["Code".into(), "id".into()],
                unique: true,
                constraint: true,
            },
        ],
        foreign_keys: vec![ForeignKey {
            name: Some("t_fkey".into()),
            columns: vec!["id".into()],
            ref_table: "other".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::NoAction,
            on_update: FkAction::Cascade,
        }],
        checks: vec![Check {
            name: Some("t_check".into()),
            expr: "(\"id\" > 0)".into(),
        }],
        comment: Some("A table".into()),
        renamed_from: None,
    };
    let mood_enum = EnumType {
        name: "mood".into(),
        values: vec!["happy".into(), "sad".into()],
    };
    let schema = Schema {
        tables: vec![table.clone()],
        enums: vec![mood_enum.clone()],
    };
    let normalized = normalize_schema(&schema);
    assert_eq!(normalized.enums, [mood_enum]);
    let t = &normalized.tables[0];
    assert_eq!(t.name, "T");
    assert_eq!(t.comment.as_deref(), Some("A table"));
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "Code", "mood", "twice"]);

    let mut id = column("id", ColumnType::BigInteger);
    id.auto_increment = true;
    assert_eq!(t.columns[0], id, "serial: not null, no default");
    let mut code = column("Code", ColumnType::Char(Some(1)));
    code.default = Some(DefaultValue::String("ab".into()));
    assert_eq!(
        t.columns[1], code,
        "key column: not null; empty comment dropped"
    );
    let mut mood = column(
        "mood",
        ColumnType::Enum {
            name: "mood".into(),
            variants: vec!["happy".into(), "sad".into()],
        },
    );
    mood.comment = Some("How it feels".into());
    assert_eq!(
        t.columns[2], mood,
        "a custom type named like an enum is the enum"
    );
    let mut twice = column("twice", ColumnType::BigInteger);
    twice.generated = Some(Generated {
        expr: "id * 2".into(),
        stored: true,
    });
    assert_eq!(t.columns[3], twice);

    assert_eq!(
        t.indexes, table.indexes,
        "indexes kept, names and order too"
    );
    assert_eq!(t.foreign_keys, table.foreign_keys);
    assert_eq!(t.checks[0].expr, "id > 0");
    assert_eq!(t.checks[0].name.as_deref(), Some("t_check"));
    assert_eq!(normalize_schema(&normalized), normalized, "idempotent");
}
