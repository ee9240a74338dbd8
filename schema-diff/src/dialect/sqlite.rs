//! SQLite: reading declared types and default texts back into the IR, and
//! normalization for comparison.
//!
//! sea-query's SQLite backend writes its own type names (`varchar(255)`,
//! `integer`, `real(10, 2)`, `datetime_text`, `json_text`, `enum_text`, ...).
//! [`parse_type`] reads those back, plus the usual hand-written spellings;
//! [`canonical_type`] maps any IR type to what SQLite can tell apart, which is
//! exactly `parse_type(<what sea-query writes for it>)`.

use crate::ir::{Column, ColumnType, DefaultValue, Schema, Table};

/// See [`crate::Dialect::normalize_schema`].
///
/// On SQLite: types are made [comparable](comparable_type); defaults are
/// [canonical](normalize_default) (`TRUE` ≡ `1`, `DEFAULT NULL` ≡ no default);
/// comments, foreign-key names and named enum types are dropped (SQLite keeps
/// none of them); a single-column `INTEGER` primary key is a rowid alias, so it
/// is auto-increment and NOT NULL whatever was declared, and no other column can
/// be auto-increment; an auto-increment key of a smaller integer type is the
/// `integer` it is created as. Names and positions of tables, columns, indexes and
/// foreign keys are unchanged.
pub fn normalize_schema(schema: &Schema) -> Schema {
    Schema {
        tables: schema.tables.iter().map(normalize_table).collect(),
        enums: Vec::new(),
    }
}

fn normalize_table(table: &Table) -> Table {
    let mut out = table.clone();
    out.comment = None;
    for column in &mut out.columns {
        normalize_column(column);
        // An auto-increment key of any integer width is created `integer` (the only
        // type SQLite numbers; see `portable::key_type`).
        if column.auto_increment
            && table.primary_key.len() == 1
            && table.primary_key[0] == column.name
            && crate::portable::key_type(&column.ty, crate::Dialect::Sqlite).is_some()
        {
            column.ty = ColumnType::Integer;
        }
        let rowid_alias = table.primary_key.len() == 1
            && table.primary_key[0] == column.name
            && column.ty == ColumnType::Integer
            && column.generated.is_none();
        column.auto_increment = rowid_alias;
        if rowid_alias {
            column.nullable = false;
        }
    }
    for fk in &mut out.foreign_keys {
        fk.name = None;
    }
    for check in &mut out.checks {
        check.expr = collapse_whitespace(&check.expr);
    }
    out
}

fn normalize_column(column: &mut Column) {
    column.ty = comparable_type(&column.ty);
    column.default = column.default.as_ref().and_then(normalize_default);
    column.comment = None;
    if let Some(generated) = &mut column.generated {
        generated.expr = collapse_whitespace(strip_outer_parens(generated.expr.trim()));
    }
}

/// The type SQLite keeps for `ty` when sea-query creates it: what
/// [`parse_type`] reads back from sea-query's SQLite spelling of `ty`.
///
/// `BigInteger`, `Unsigned` and `BigUnsigned` are all written `integer`,
/// `TinyUnsigned` `tinyint`, `SmallUnsigned` `smallint`; an enum is written
/// `enum_text` (name and variants are not kept); a custom type is read back
/// like any declared type, compared case-insensitively. Types sea-query cannot
/// write for SQLite (`Interval`, `Year`, `Array`) are left as they are.
pub fn canonical_type(ty: &ColumnType) -> ColumnType {
    match ty {
        ColumnType::BigInteger | ColumnType::Unsigned | ColumnType::BigUnsigned => {
            ColumnType::Integer
        }
        ColumnType::TinyUnsigned => ColumnType::TinyInteger,
        ColumnType::SmallUnsigned => ColumnType::SmallInteger,
        ColumnType::Enum { .. } => ColumnType::Custom(ENUM_TEXT.into()),
        ColumnType::Custom(text) => match parse_type(text) {
            ColumnType::Custom(text) => {
                ColumnType::Custom(collapse_whitespace(&text).to_lowercase())
            }
            known => canonical_type(&known),
        },
        other => other.clone(),
    }
}

/// The [canonical](canonical_type) type with the distinctions SQLite does not
/// store removed, for comparison only: `DateTime`, `Timestamp` and
/// `TimestampWithTimeZone` are all one date-time type (SQLite keeps date-times
/// as text whatever the declared type says, so `timestamp`, `datetime`,
/// `datetime(6)`, `datetime_text` and `timestamp_with_timezone_text` columns
/// hold the same values).
pub fn comparable_type(ty: &ColumnType) -> ColumnType {
    match canonical_type(ty) {
        ColumnType::Timestamp | ColumnType::TimestampWithTimeZone => ColumnType::DateTime,
        other => other,
    }
}

/// What sea-query writes for an enum column on SQLite.
const ENUM_TEXT: &str = "enum_text";

/// Reads a declared column type (`pragma_table_xinfo.type`) into the IR.
///
/// Knows every spelling sea-query's SQLite backend writes and the common
/// hand-written ones (`INT`, `BIGINT`, `VARCHAR(n)`, `NUMERIC(p, s)`, `REAL`,
/// `DATETIME`, Rails' `datetime(6)` (the precision is dropped), `BOOLEAN`,
/// ...), case-insensitively. Anything else, including
/// sea-query's `enum_text` and an empty type, is [`ColumnType::Custom`] with
/// the declared text.
pub fn parse_type(declared: &str) -> ColumnType {
    let text = collapse_whitespace(declared.trim());
    let lower = text.to_lowercase();
    let (base, args) = match lower.find('(') {
        Some(open) if lower.ends_with(')') => {
            let args: Option<Vec<u32>> = lower[open + 1..lower.len() - 1]
                .split(',')
                .map(|a| a.trim().parse().ok())
                .collect();
            match args {
                Some(args) => (lower[..open].trim_end(), args),
                None => return ColumnType::Custom(text),
            }
        }
        _ => (lower.as_str(), Vec::new()),
    };
    match (base, args.as_slice()) {
        ("char" | "character" | "nchar" | "native character", []) => ColumnType::Char(None),
        ("char" | "character" | "nchar" | "native character", [n]) => ColumnType::Char(Some(*n)),
        ("varchar" | "character varying" | "varying character" | "nvarchar", []) => {
            ColumnType::String(None)
        }
        ("varchar" | "character varying" | "varying character" | "nvarchar", [n]) => {
            ColumnType::String(Some(*n))
        }
        ("text" | "clob", []) => ColumnType::Text,
        ("tinyint", []) => ColumnType::TinyInteger,
        ("smallint" | "int2", []) => ColumnType::SmallInteger,
        ("integer" | "int" | "mediumint" | "int4", []) => ColumnType::Integer,
        ("bigint" | "int8" | "unsigned big int", []) => ColumnType::BigInteger,
        ("tinyint unsigned", []) => ColumnType::TinyUnsigned,
        ("smallint unsigned", []) => ColumnType::SmallUnsigned,
        ("int unsigned" | "integer unsigned", []) => ColumnType::Unsigned,
        ("bigint unsigned", []) => ColumnType::BigUnsigned,
        ("float", []) => ColumnType::Float,
        ("double" | "double precision" | "real", []) => ColumnType::Double,
        ("real" | "decimal" | "numeric", [p, s]) => ColumnType::Decimal(Some((*p, *s))),
        ("decimal" | "numeric", [p]) => ColumnType::Decimal(Some((*p, 0))),
        ("real_decimal" | "decimal" | "numeric", []) => ColumnType::Decimal(None),
        ("datetime_text" | "datetime", []) | ("datetime", [_]) => ColumnType::DateTime,
        ("timestamp_text" | "timestamp", []) | ("timestamp", [_]) => ColumnType::Timestamp,
        ("timestamp_with_timezone_text" | "timestamptz" | "timestamp with time zone", []) => {
            ColumnType::TimestampWithTimeZone
        }
        ("time_text" | "time", []) => ColumnType::Time,
        ("date_text" | "date", []) => ColumnType::Date,
        ("blob" | "binary", [n]) => ColumnType::Binary(*n),
        ("varbinary_blob" | "varbinary", []) => ColumnType::VarBinary(None),
        ("varbinary_blob" | "varbinary", [n]) => ColumnType::VarBinary(Some(*n)),
        ("blob", []) => ColumnType::Blob,
        ("boolean" | "bool", []) => ColumnType::Boolean,
        ("real_money" | "money", []) | ("real_money", [_, _]) => ColumnType::Money,
        ("json_text" | "json", []) => ColumnType::Json,
        ("jsonb_text" | "jsonb", []) => ColumnType::JsonBinary,
        ("uuid_text" | "uuid", []) => ColumnType::Uuid,
        _ => ColumnType::Custom(text),
    }
}

/// Reads a default's SQL text (`pragma_table_xinfo.dflt_value`) into the IR.
///
/// Numbers (canonical text), `'quoted'` strings (with `''` escapes), `TRUE` /
/// `FALSE`, `NULL` and `CURRENT_TIMESTAMP` / `CURRENT_DATE` / `CURRENT_TIME`
/// are read as such, also inside redundant parentheses; anything else is
/// [`DefaultValue::Expr`] with the outer parentheses removed.
pub fn parse_default(text: &str) -> DefaultValue {
    let text = strip_outer_parens(text.trim());
    if let Some(number) = canonical_number(text) {
        return DefaultValue::Number(number);
    }
    if let Some(s) = unquote(text) {
        return DefaultValue::String(s);
    }
    match text.to_ascii_uppercase().as_str() {
        "NULL" => DefaultValue::Null,
        "TRUE" => DefaultValue::Bool(true),
        "FALSE" => DefaultValue::Bool(false),
        "CURRENT_TIMESTAMP" => DefaultValue::CurrentTimestamp,
        "CURRENT_DATE" => DefaultValue::CurrentDate,
        "CURRENT_TIME" => DefaultValue::CurrentTime,
        _ => DefaultValue::Expr(text.to_owned()),
    }
}

/// A default in the form SQLite cannot tell apart from its equals, or `None`
/// when it is no default at all (`DEFAULT NULL` is what no default means).
///
/// Booleans become `1` / `0` (SQLite has no boolean storage class), numbers get
/// their canonical text, and expressions are re-read as literals where they are
/// one, with whitespace collapsed.
pub fn normalize_default(default: &DefaultValue) -> Option<DefaultValue> {
    let default = match default {
        DefaultValue::Expr(text) => parse_default(text),
        other => other.clone(),
    };
    match default {
        DefaultValue::Null => None,
        DefaultValue::Bool(b) => Some(DefaultValue::Number(if b { "1" } else { "0" }.into())),
        DefaultValue::Number(n) => Some(DefaultValue::Number(canonical_number(&n).unwrap_or(n))),
        DefaultValue::Expr(text) => Some(DefaultValue::Expr(collapse_whitespace(&text))),
        other => Some(other),
    }
}

/// The canonical text of a numeric literal (`+01.50` → `1.5`, `-0` → `0`,
/// `2.0` → `2`, exponents lower-cased), or `None` if `text` is not one.
pub fn canonical_number(text: &str) -> Option<String> {
    let text = text.trim();
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let exponent = match exponent {
        None => None,
        Some(e) => {
            let (sign, e_digits) = match e.as_bytes().first()? {
                b'-' => ("-", &e[1..]),
                b'+' => ("", &e[1..]),
                _ => ("", e),
            };
            if e_digits.is_empty() || !digits(e_digits) {
                return None;
            }
            let e_digits = e_digits.trim_start_matches('0');
            (!e_digits.is_empty()).then(|| format!("e{sign}{e_digits}"))
        }
    };
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    let zero = int.is_empty() && frac.is_empty();
    if negative && !zero {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if !zero && let Some(e) = exponent {
        out.push_str(&e);
    }
    Some(out)
}

/// The value of a single `'quoted'` SQL string literal, `''` unescaped.
fn unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Inside the literal a quote must be doubled.
            if chars.next() != Some('\'') {
                return None;
            }
        }
        out.push(c);
    }
    Some(out)
}

/// `text` without parentheses that enclose all of it (repeatedly).
pub(crate) fn strip_outer_parens(mut text: &str) -> &str {
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        if !balanced(inner) {
            break;
        }
        text = inner.trim();
    }
    text
}

/// Whether every parenthesis of `text` outside quotes is matched.
fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && quote.is_none()
}

/// Runs of whitespace outside quotes replaced by one space; trimmed.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut pending_space = false;
    for c in text.trim().chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => pending_space = true,
            None => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                if matches!(c, '\'' | '"' | '`') {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}
