//! PostgreSQL: reading catalog type names and default expressions back into
//! the IR, and normalization for comparison.
//!
//! [`parse_type`] reads what `format_type(atttypid, atttypmod)` prints
//! (`character varying(255)`, `numeric(10,2)`, `timestamp with time zone`,
//! `integer[]`, ...), plus sea-query's and the usual hand-written spellings
//! (`varchar(255)`, `decimal(10, 2)`, `int4`, `timestamptz`, ...).
//! [`canonical_type`] maps any IR type to what PostgreSQL stores for it, which
//! is exactly `parse_type(<what sea-query's PostgresQueryBuilder writes for it>)`,
//! so the two cannot drift apart.

use std::collections::HashMap;

use sea_query::{PostgresQueryBuilder, TableBuilder};

use crate::dialect::sqlite::{canonical_number, collapse_whitespace, strip_outer_parens};
use crate::ir::{Column, ColumnType, DefaultValue, EnumType, Schema, Table};
use crate::statements::vocab::sea_type;

/// See [`crate::Dialect::normalize_schema`].
///
/// On PostgreSQL: types are made [canonical](canonical_type), and a custom type
/// named like one of the schema's enum types is that enum; defaults are made
/// [canonical](normalize_default) for the column's type (`DEFAULT NULL` ≡ no
/// default, `now()` ≡ `CURRENT_TIMESTAMP`, `'1.5'::numeric` ≡ `1.5`); an
/// auto-increment (serial or identity) or generated column has no default;
/// primary-key and auto-increment columns are NOT NULL; generated and CHECK
/// expressions lose outer parentheses, redundant identifier quotes and extra
/// whitespace; an empty comment is no comment. Everything else (enum types,
/// index and foreign-key names, comments) is kept: PostgreSQL stores it. Names
/// and positions of tables, columns, indexes and foreign keys are unchanged.
pub fn normalize_schema(schema: &Schema) -> Schema {
    let enums: HashMap<&str, &EnumType> =
        schema.enums.iter().map(|e| (e.name.as_str(), e)).collect();
    Schema {
        tables: schema
            .tables
            .iter()
            .map(|t| normalize_table(t, &enums))
            .collect(),
        enums: schema.enums.clone(),
    }
}

fn normalize_table(table: &Table, enums: &HashMap<&str, &EnumType>) -> Table {
    let mut out = table.clone();
    out.comment = out.comment.filter(|c| !c.is_empty());
    for column in &mut out.columns {
        let in_key = table.primary_key.contains(&column.name);
        normalize_column(column, in_key, enums);
    }
    for check in &mut out.checks {
        check.expr = normalize_expr(&check.expr);
    }
    out
}

fn normalize_column(column: &mut Column, in_key: bool, enums: &HashMap<&str, &EnumType>) {
    column.ty = with_enums(canonical_type(&column.ty), enums);
    column.default = if column.auto_increment || column.generated.is_some() {
        None
    } else {
        column
            .default
            .as_ref()
            .and_then(|d| normalize_default(d, &column.ty))
    };
    if column.auto_increment || in_key {
        column.nullable = false;
    }
    if let Some(generated) = &mut column.generated {
        generated.expr = normalize_expr(&generated.expr);
    }
    column.comment = column.comment.take().filter(|c| !c.is_empty());
}

/// `ty` with custom types named like an enum type of the schema replaced by
/// that enum (sea-query's PostgreSQL statements name an enum column's type as
/// a custom type).
fn with_enums(ty: ColumnType, enums: &HashMap<&str, &EnumType>) -> ColumnType {
    match ty {
        ColumnType::Custom(name) => match enums.get(name.as_str()) {
            Some(e) => ColumnType::Enum {
                name: e.name.clone(),
                variants: e.values.clone(),
            },
            None => ColumnType::Custom(name),
        },
        ColumnType::Array(inner) => ColumnType::Array(Box::new(with_enums(*inner, enums))),
        other => other,
    }
}

/// The type PostgreSQL keeps for `ty` when sea-query creates it: what
/// [`parse_type`] reads back from sea-query's PostgreSQL spelling of `ty`.
///
/// For example `TinyInteger`/`TinyUnsigned` → `SmallInteger` (`smallint`),
/// `SmallUnsigned` → `Integer`, `Unsigned`/`BigUnsigned` → `BigInteger`,
/// `Timestamp` → `DateTime` (`timestamp without time zone`),
/// `Binary`/`VarBinary` → `Blob` (`bytea`), `Char(None)` → `Char(Some(1))`
/// (PostgreSQL's `char` is `character(1)`). Arrays of arrays are one array
/// (PostgreSQL does not keep dimensions). Enums are kept as they are; `Year`,
/// which sea-query cannot write for PostgreSQL, too. A custom type is read
/// back like a catalog type name.
pub fn canonical_type(ty: &ColumnType) -> ColumnType {
    match ty {
        ColumnType::Enum { .. } | ColumnType::Year => ty.clone(),
        ColumnType::Array(inner) => {
            let mut inner = canonical_type(inner);
            while let ColumnType::Array(nested) = inner {
                inner = *nested;
            }
            ColumnType::Array(Box::new(inner))
        }
        ColumnType::Custom(text) => match parse_type(text) {
            custom @ ColumnType::Custom(_) => custom,
            known => canonical_type(&known),
        },
        other => parse_type(&sea_query_spelling(other)),
    }
}

/// Whether PostgreSQL changes a column from canonical type `from` to canonical
/// type `to` in the catalog alone, keeping the table's storage (no rewrite, the
/// same `pg_class.relfilenode`), when the statement converts the column itself
/// (`USING "c"`, see [`crate::statements`]): the new type is binary-coercible and
/// its length or precision check cannot fail. That is `varchar(n)` to a longer
/// `varchar(m)`, to unbounded `varchar` or to `text`; `text` to unbounded
/// `varchar`; `numeric(p, s)` to `numeric(q, s)` with `q >= p`, or to unbounded
/// `numeric`. Everything else (a shorter `varchar`, `char(n)`, integer widths,
/// `timestamp` to `timestamptz`, a different scale, ...) is taken to rewrite.
pub fn alters_in_place(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType as T;
    match (from, to) {
        (T::String(Some(n)), T::String(Some(m))) => m >= n,
        (T::String(_), T::String(None) | T::Text) => true,
        (T::Text, T::String(None)) => true,
        (T::Decimal(Some((p, s))), T::Decimal(Some((q, t)))) => s == t && q >= p,
        (T::Decimal(Some(_)), T::Decimal(None)) => true,
        _ => false,
    }
}

/// What sea-query's PostgreSQL backend writes as the type of a column of type
/// `ty` (not auto-increment). Must not be called with `Year` (sea-query panics).
fn sea_query_spelling(ty: &ColumnType) -> String {
    let mut sql = String::new();
    PostgresQueryBuilder.prepare_column_type(&sea_type(ty), &mut sql);
    sql
}

/// Reads a type name (`format_type(atttypid, atttypmod)`, or any common
/// spelling) into the IR.
///
/// Knows PostgreSQL's own names and their aliases, case-insensitively:
/// `character varying(n)`/`varchar`, `character(n)`/`char` (no length means
/// 1), `text`, `smallint`/`int2`, `integer`/`int`/`int4`, `bigint`/`int8` (and
/// the `serial` names), `real`/`float4`, `double precision`/`float8`/`float`,
/// `numeric(p,s)`/`decimal`, `boolean`/`bool`, `date`, `time`,
/// `timestamp`/`timestamp without time zone` (→ `DateTime`),
/// `timestamptz`/`timestamp with time zone`, `interval`, `bytea` (→ `Blob`),
/// `money`, `json`, `jsonb`, `uuid`, and `T[]` (→ `Array(T)`, any number of
/// dimensions). Anything else is [`ColumnType::Custom`] spelled as PostgreSQL
/// prints it (`timetz` → `time with time zone`, `varbit(4)` →
/// `bit varying(4)`, `time(3)` → `time(3) without time zone`, unquoted names
/// lower-cased, quoted names kept as they are). Enum types are recognized by
/// the introspection from the catalog, not here.
pub fn parse_type(text: &str) -> ColumnType {
    let text = collapse_whitespace(text);
    if let Some(element) = strip_array_suffix(&text) {
        return ColumnType::Array(Box::new(parse_type(element)));
    }
    if text.contains('"') {
        return ColumnType::Custom(text);
    }
    let lower = text.to_lowercase();
    let Some((base, args)) = split_type_args(&lower) else {
        return ColumnType::Custom(lower);
    };
    let one = |n: u32| Some(n);
    match (base.as_str(), args.as_slice()) {
        ("character varying" | "varchar", []) => ColumnType::String(None),
        ("character varying" | "varchar", [n]) => ColumnType::String(one(*n)),
        ("character" | "char", []) => ColumnType::Char(Some(1)),
        ("character" | "char", [n]) => ColumnType::Char(one(*n)),
        ("text", []) => ColumnType::Text,
        ("smallint" | "int2" | "smallserial" | "serial2", []) => ColumnType::SmallInteger,
        ("integer" | "int" | "int4" | "serial" | "serial4", []) => ColumnType::Integer,
        ("bigint" | "int8" | "bigserial" | "serial8", []) => ColumnType::BigInteger,
        ("real" | "float4", []) => ColumnType::Float,
        ("float", [p]) if (1..=24).contains(p) => ColumnType::Float,
        ("double precision" | "float8" | "float", []) => ColumnType::Double,
        ("float", [p]) if (25..=53).contains(p) => ColumnType::Double,
        ("numeric" | "decimal", []) => ColumnType::Decimal(None),
        ("numeric" | "decimal", [p]) => ColumnType::Decimal(Some((*p, 0))),
        ("numeric" | "decimal", [p, s]) => ColumnType::Decimal(Some((*p, *s))),
        ("boolean" | "bool", []) => ColumnType::Boolean,
        ("date", []) => ColumnType::Date,
        ("time" | "time without time zone", []) => ColumnType::Time,
        ("timestamp" | "timestamp without time zone", []) => ColumnType::DateTime,
        ("timestamptz" | "timestamp with time zone", []) => ColumnType::TimestampWithTimeZone,
        ("interval", []) => ColumnType::Interval,
        ("bytea", []) => ColumnType::Blob,
        ("money", []) => ColumnType::Money,
        ("json", []) => ColumnType::Json,
        ("jsonb", []) => ColumnType::JsonBinary,
        ("uuid", []) => ColumnType::Uuid,
        (base, args) => ColumnType::Custom(custom_spelling(base, args)),
    }
}

/// `text` without its `[]` / `[n]` suffixes, if it has any.
fn strip_array_suffix(text: &str) -> Option<&str> {
    let mut rest = text.trim_end();
    let mut stripped = false;
    while let Some(before) = rest.strip_suffix(']') {
        let open = before.rfind('[')?;
        if !before[open + 1..].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        rest = before[..open].trim_end();
        stripped = true;
    }
    (stripped && !rest.is_empty()).then_some(rest)
}

/// Splits `numeric(10, 2)` into (`numeric`, [10, 2]) and
/// `timestamp(3) without time zone` into (`timestamp without time zone`, [3]).
/// `None` when the parentheses hold something other than numbers.
fn split_type_args(lower: &str) -> Option<(String, Vec<u32>)> {
    let Some(open) = lower.find('(') else {
        return Some((lower.to_owned(), Vec::new()));
    };
    let close = open + lower[open..].find(')')?;
    let args = lower[open + 1..close]
        .split(',')
        .map(|a| a.trim().parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    let base = format!(
        "{} {}",
        lower[..open].trim_end(),
        lower[close + 1..].trim_start()
    );
    Some((base.trim().to_owned(), args))
}

/// PostgreSQL's own spelling of a type the IR has no name for.
fn custom_spelling(base: &str, args: &[u32]) -> String {
    let list = args
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let with_args = |name: &str| format!("{name}({list})");
    match (base, args) {
        ("timetz" | "time with time zone", []) => "time with time zone".into(),
        ("timetz" | "time with time zone", _) => format!("time({list}) with time zone"),
        ("time" | "time without time zone", _) => format!("time({list}) without time zone"),
        ("timestamp" | "timestamp without time zone", _) => {
            format!("timestamp({list}) without time zone")
        }
        ("timestamptz" | "timestamp with time zone", _) => {
            format!("timestamp({list}) with time zone")
        }
        ("varbit" | "bit varying", []) => "bit varying".into(),
        ("varbit" | "bit varying", _) => with_args("bit varying"),
        ("bit", []) => "bit(1)".into(),
        (base, []) => base.to_owned(),
        (base, _) => with_args(base),
    }
}

/// Reads a default expression (`pg_get_expr(adbin, adrelid)`) into the IR.
///
/// Numbers, also as `'-1.5'::numeric` or `(3)::bigint` when cast to a numeric
/// type, are [`DefaultValue::Number`] with canonical text; other cast string
/// literals (`'x'::character varying`, `'admin'::user_role`, `'{}'::jsonb`)
/// are [`DefaultValue::String`]; `NULL` and `NULL::type` are
/// [`DefaultValue::Null`]; `true` / `false`; `now()`, `CURRENT_TIMESTAMP` and
/// `transaction_timestamp()` are [`DefaultValue::CurrentTimestamp`];
/// `CURRENT_DATE`, `CURRENT_TIME`. Anything else (`nextval(...)` included: the
/// introspection turns that into auto-increment) is [`DefaultValue::Expr`]
/// with the outer parentheses removed.
pub fn parse_default(text: &str) -> DefaultValue {
    let text = strip_outer_parens(text.trim());
    if let Some(number) = canonical_number(text) {
        return DefaultValue::Number(number);
    }
    if let Some((value, ty)) = split_cast(text) {
        let ty = parse_type(ty);
        let value = strip_outer_parens(value);
        if value.eq_ignore_ascii_case("null") {
            return DefaultValue::Null;
        }
        if let Some(number) = canonical_number(value) {
            return DefaultValue::Number(number);
        }
        if let Some(s) = unquote(value) {
            return literal_for_type(s, &ty);
        }
        return DefaultValue::Expr(text.to_owned());
    }
    if let Some(s) = unquote(text) {
        return DefaultValue::String(s);
    }
    match text.to_ascii_lowercase().as_str() {
        "null" => DefaultValue::Null,
        "true" => DefaultValue::Bool(true),
        "false" => DefaultValue::Bool(false),
        "current_timestamp" | "now()" | "transaction_timestamp()" => DefaultValue::CurrentTimestamp,
        "current_date" => DefaultValue::CurrentDate,
        "current_time" => DefaultValue::CurrentTime,
        _ => DefaultValue::Expr(text.to_owned()),
    }
}

/// A string literal as a value of type `ty`: a number for numeric types, a
/// boolean for `boolean`, else the string.
fn literal_for_type(s: String, ty: &ColumnType) -> DefaultValue {
    if is_numeric(ty)
        && let Some(number) = canonical_number(&s)
    {
        return DefaultValue::Number(number);
    }
    if *ty == ColumnType::Boolean {
        match s.to_ascii_lowercase().as_str() {
            "true" | "t" => return DefaultValue::Bool(true),
            "false" | "f" => return DefaultValue::Bool(false),
            _ => {}
        }
    }
    DefaultValue::String(s)
}

fn is_numeric(ty: &ColumnType) -> bool {
    ty.is_integer()
        || matches!(
            ty,
            ColumnType::Float | ColumnType::Double | ColumnType::Decimal(_)
        )
}

fn is_textual(ty: &ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text
    )
}

/// Splits `value::type` at its only top-level `::`, when `type` is a plain type
/// name. `None` for anything else (no cast, chained casts, operators).
fn split_cast(text: &str) -> Option<(&str, &str)> {
    let mut depth = 0i32;
    let mut in_quote = false;
    let mut at = None;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' => in_quote = !in_quote,
            b'(' if !in_quote => depth += 1,
            b')' if !in_quote => depth -= 1,
            b':' if !in_quote && depth == 0 && bytes.get(i + 1) == Some(&b':') => {
                if at.is_some() || (i > 0 && bytes[i - 1] == b':') {
                    return None;
                }
                at = Some(i);
            }
            _ => {}
        }
    }
    let at = at?;
    let (value, ty) = (text[..at].trim(), text[at + 2..].trim());
    let type_chars = |c: char| c.is_alphanumeric() || " _()[],.\"".contains(c);
    (!value.is_empty() && !ty.is_empty() && ty.chars().all(type_chars)).then_some((value, ty))
}

/// The value of a single `'quoted'` SQL string literal, `''` unescaped.
/// (`E'...'` strings, which PostgreSQL prints only when
/// `standard_conforming_strings` is off, stay expressions.)
fn unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\'' && chars.next() != Some('\'') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

/// A default in the form PostgreSQL cannot tell apart from its equals, for a
/// column of (canonical) type `ty`, or `None` when it is no default at all
/// (`DEFAULT NULL` is what no default means).
///
/// Expressions are re-read with [`parse_default`] (so `now()` ≡
/// `CURRENT_TIMESTAMP`), numbers get their canonical text without exponent
/// (`1e3` ≡ `1000`, as PostgreSQL prints them), a number-like string on a
/// numeric column is that number, `'true'` on a boolean column is `true`, a
/// number or boolean on a text column is the string PostgreSQL stores for it,
/// and JSON text on a `json`/`jsonb` column is compared as JSON (`jsonb`
/// reformats it and reorders keys).
///
/// Not made canonical: date/time literals (PostgreSQL stores `'2020-01-01'`
/// on a `timestamp` column as `'2020-01-01 00:00:00'`) and expressions, which
/// PostgreSQL may rewrite (`lower('X')` is kept as `lower('X'::text)`).
pub fn normalize_default(default: &DefaultValue, ty: &ColumnType) -> Option<DefaultValue> {
    let default = match default {
        DefaultValue::Expr(text) => parse_default(text),
        other => other.clone(),
    };
    Some(match default {
        DefaultValue::Null => return None,
        DefaultValue::Number(n) => {
            let n = plain_number(&n).unwrap_or(n);
            if is_textual(ty) {
                DefaultValue::String(n)
            } else {
                DefaultValue::Number(n)
            }
        }
        DefaultValue::Bool(b) if is_textual(ty) => DefaultValue::String(b.to_string()),
        DefaultValue::String(s) if matches!(ty, ColumnType::Json | ColumnType::JsonBinary) => {
            match serde_json::from_str::<serde_json::Value>(&s) {
                Ok(value) => DefaultValue::String(canonical_json(&value)),
                Err(_) => DefaultValue::String(s),
            }
        }
        DefaultValue::String(s) => match literal_for_type(s, ty) {
            DefaultValue::Number(n) => DefaultValue::Number(plain_number(&n).unwrap_or(n)),
            other => other,
        },
        DefaultValue::Expr(text) => DefaultValue::Expr(collapse_whitespace(&text)),
        other => other,
    })
}

/// The canonical text of a numeric literal written without exponent
/// (`1.5e3` → `1500`, `15e-4` → `0.0015`), or `None` if `text` is not one.
fn plain_number(text: &str) -> Option<String> {
    let canonical = canonical_number(text)?;
    let Some((mantissa, exponent)) = canonical.split_once('e') else {
        return Some(canonical);
    };
    let exponent: i64 = exponent.parse().ok()?;
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    // Position of the decimal point within `digits`, after the shift.
    let point = i64::try_from(int.len()).ok()? + exponent;
    if !(-4096..=4096).contains(&point) {
        return Some(canonical);
    }
    let plain = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{a}.{b}")
    };
    let sign = if negative { "-" } else { "" };
    canonical_number(&format!("{sign}{plain}"))
}

/// JSON text with object keys sorted at every level, no whitespace.
fn canonical_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let fields: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(k.as_str()),
                        canonical_json(v)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// A generated-column or CHECK expression in a comparable form: outer
/// parentheses removed, whitespace collapsed, and quotes dropped from
/// identifiers that do not need them (`"price" * 2` ≡ `(price * 2)`).
///
/// PostgreSQL also adds casts and parentheses of its own (`(0)::numeric`);
/// those are not undone, so such expressions may still differ.
pub fn normalize_expr(expr: &str) -> String {
    let text = collapse_whitespace(strip_outer_parens(expr.trim()));
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find(['\'', '"']) {
        out.push_str(&rest[..i]);
        let quote = rest.as_bytes()[i];
        let Some(end) = closing_quote(&rest[i..], quote).map(|e| i + e) else {
            out.push_str(&rest[i..]);
            return out;
        };
        let quoted = &rest[i..end];
        let inner = &quoted[1..quoted.len() - 1];
        if quote == b'"' && is_plain_identifier(inner) {
            out.push_str(inner);
        } else {
            out.push_str(quoted);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The length of the quoted text at the start of `text` (doubled quotes escape).
fn closing_quote(text: &str, quote: u8) -> Option<usize> {
    let b = text.as_bytes();
    let mut j = 1;
    while j < b.len() {
        if b[j] == quote {
            if b.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

/// Whether `name` needs no quotes in PostgreSQL (lower case, not starting
/// with a digit). Keywords are not checked.
fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
}
