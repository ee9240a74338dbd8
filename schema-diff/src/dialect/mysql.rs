//! MySQL and MariaDB: reading `information_schema` spellings back into the IR,
//! and normalization for comparison.
//!
//! The server rewrites what it is given: `bool` is stored as `tinyint(1)`,
//! `decimal` as `decimal(10,0)`, `json` as `longtext` (MariaDB), `int` as
//! `int(11)` (MariaDB and MySQL before 8.0.19), `DEFAULT TRUE` as `1`, and so on.
//! [`parse_type`] reads both sea-query's spellings and the catalog's;
//! [`canonical_type`] maps any IR type to what the server keeps, which is
//! exactly `parse_type(<what sea-query's MySQL backend writes for it>)`.
//!
//! | IR type | sea-query writes | the server keeps | canonical IR |
//! |---|---|---|---|
//! | `Char(None)` | `char` | `char(1)` | `Char(Some(1))` |
//! | `String(None)` | `varchar(255)` | `varchar(255)` | `String(Some(255))` |
//! | `TinyInteger` | `tinyint` | `tinyint(4)` / `tinyint` | `TinyInteger` |
//! | `Integer`, `Unsigned` | `int`, `int UNSIGNED` | `int(11)`, `int(10) unsigned` / `int`, `int unsigned` | same |
//! | `Boolean` | `bool` | `tinyint(1)` | `Boolean` |
//! | `Decimal(None)`, `Money` | `decimal` | `decimal(10,0)` | `Decimal(Some((10, 0)))` |
//! | `Timestamp`, `TimestampWithTimeZone` | `timestamp` | `timestamp` | `Timestamp` |
//! | `Year` | `year` | `year(4)` / `year` | `Year` |
//! | `VarBinary(None)` | `varbinary(255)` | `varbinary(255)` | `VarBinary(Some(255))` |
//! | `Uuid` | `binary(16)` | `binary(16)` | `Binary(16)` |
//! | `Json`, `JsonBinary` | `json` | `json` / `longtext` + `CHECK (json_valid(..))` | `Json` |
//! | `Enum { name, variants }` | `ENUM('a', 'b')` | `enum('a','b')` | `Enum { name: "", variants }` |
//! | `Interval`, `Array` | (cannot be written) | — | unchanged |
//!
//! Every other IR type is kept as it is; `Custom` types are read with
//! [`parse_type`] (so `Custom("ENUM('a')")` is an enum and `Custom("BIT")` is
//! `bit(1)`), else lower-cased with integer display widths removed.

use sea_query::{MysqlQueryBuilder, TableBuilder};

use crate::dialect::sqlite::{canonical_number, collapse_whitespace, strip_outer_parens};
use crate::ir::{Column, ColumnType, DefaultValue, FkAction, Schema, Table};
use crate::statements::vocab::sea_type;

/// See [`crate::Dialect::normalize_schema`].
///
/// On MySQL and MariaDB: types are made [comparable](comparable_type) (enum
/// columns lose their type name, and `Schema::enums` is emptied: MySQL has no
/// named enum types); defaults are [canonical](normalize_default) for the
/// column's type; primary-key columns are NOT NULL; generated-column, default
/// and CHECK expressions are [canonical](canonical_expr); every unique index is
/// a constraint (MySQL lists each unique index as a `UNIQUE` constraint, so the
/// two cannot be told apart); the foreign-key action `RESTRICT` is `NO ACTION`
/// (InnoDB checks both immediately). Comments and names are kept, and so are
/// the positions of tables, columns, indexes and foreign keys.
pub fn normalize_schema(schema: &Schema) -> Schema {
    Schema {
        tables: schema.tables.iter().map(normalize_table).collect(),
        enums: Vec::new(),
    }
}

fn normalize_table(table: &Table) -> Table {
    let mut out = table.clone();
    out.comment = out.comment.filter(|c| !c.is_empty());
    for column in &mut out.columns {
        normalize_column(column);
        if table.primary_key.contains(&column.name) {
            column.nullable = false;
        }
    }
    for index in &mut out.indexes {
        index.constraint = index.unique;
    }
    for fk in &mut out.foreign_keys {
        fk.on_delete = canonical_action(fk.on_delete);
        fk.on_update = canonical_action(fk.on_update);
    }
    for check in &mut out.checks {
        check.expr = canonical_expr(&check.expr);
    }
    out
}

fn normalize_column(column: &mut Column) {
    column.ty = comparable_type(&column.ty);
    column.default = match &column.generated {
        Some(_) => None,
        None => column
            .default
            .as_ref()
            .and_then(|d| normalize_default(d, &column.ty)),
    };
    if let Some(generated) = &mut column.generated {
        generated.expr = canonical_expr(&generated.expr);
    }
    column.comment = column.comment.take().filter(|c| !c.is_empty());
}

/// The [canonical](canonical_type) type with the distinctions MySQL does not
/// store removed, for comparison only: a boolean is a `tinyint` (`bool` is
/// `tinyint(1)`, and integer display widths mean nothing to the storage), so a
/// `tinyint(1)` column declared by another tool compares equal to an `i8`
/// entity, and a `bool` entity to a `tinyint(4)` column.
pub fn comparable_type(ty: &ColumnType) -> ColumnType {
    match canonical_type(ty) {
        ColumnType::Boolean => ColumnType::TinyInteger,
        other => other,
    }
}

/// The largest `varchar` length whose values fit in 255 bytes in any character
/// set (4 bytes per character in `utf8mb4`): up to it InnoDB stores a value's
/// length in one byte.
const ONE_LENGTH_BYTE: u32 = 255 / 4;

/// Whether MySQL and MariaDB change a column from [comparable](comparable_type)
/// type `from` to `to` without copying the table: only a `varchar` made longer
/// while its length prefix keeps its size whatever the character set — both
/// lengths at most 63 characters, or at least 256 before the change. This is
/// conservative: MariaDB extends more in place (from `varchar(20)` to
/// `varchar(255)` in `utf8mb4`), MySQL 8 does not. Every other type change
/// copies the table.
pub fn alters_in_place(from: &ColumnType, to: &ColumnType) -> bool {
    match (from, to) {
        (ColumnType::String(Some(n)), ColumnType::String(Some(m))) => {
            m >= n && (*m <= ONE_LENGTH_BYTE || *n >= 256)
        }
        _ => false,
    }
}

/// `RESTRICT` and `NO ACTION` are the same on MySQL; `NO ACTION` is canonical.
fn canonical_action(action: FkAction) -> FkAction {
    match action {
        FkAction::Restrict => FkAction::NoAction,
        other => other,
    }
}

/// The type MySQL/MariaDB keeps for `ty` when sea-query creates it: what
/// [`parse_type`] reads back from sea-query's MySQL spelling of `ty` (see the
/// module documentation for the table).
pub fn canonical_type(ty: &ColumnType) -> ColumnType {
    match ty {
        ColumnType::Custom(text) => parse_type(text),
        ColumnType::Enum { variants, .. } => ColumnType::Enum {
            name: String::new(),
            variants: variants.clone(),
        },
        other => match sea_query_spelling(other) {
            Some(spelling) => parse_type(&spelling),
            None => other.clone(),
        },
    }
}

/// What sea-query's MySQL backend writes as the type of a column of type `ty`,
/// or `None` for the types it cannot write (`Interval`, `Array`).
pub fn sea_query_spelling(ty: &ColumnType) -> Option<String> {
    if matches!(ty, ColumnType::Interval | ColumnType::Array(_)) {
        return None;
    }
    let mut sql = String::new();
    MysqlQueryBuilder.prepare_column_type(&sea_type(ty), &mut sql);
    Some(sql)
}

/// Reads a column type (`information_schema.COLUMNS.COLUMN_TYPE`, or what
/// sea-query writes) into the IR.
///
/// Integer display widths are ignored, except that `tinyint(1)` (and `bool`,
/// `boolean`) is [`ColumnType::Boolean`]: that is how MySQL stores a boolean,
/// so a `tinyint(1)` declared by hand reads as a boolean too. `enum('a','b')`
/// is an enum without a name. `tinytext`, `mediumtext`, `longtext`, the `blob`
/// kinds other than `blob`, `mediumint`, `bit(n)`, `set(..)`, fractional-second
/// precisions (`datetime(6)`) and anything `zerofill` are [`ColumnType::Custom`],
/// lower-cased and without integer display widths. MariaDB's JSON (a
/// `longtext` with a `json_valid` check) is recognised by the introspection,
/// not here.
pub fn parse_type(column_type: &str) -> ColumnType {
    let text = collapse_whitespace(column_type.trim());
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("enum(") || lower.starts_with("enum (") {
        let inner = text
            .find('(')
            .zip(text.rfind(')'))
            .and_then(|(open, close)| text.get(open + 1..close));
        return match inner.and_then(parse_quoted_list) {
            Some(variants) => ColumnType::Enum {
                name: String::new(),
                variants,
            },
            None => ColumnType::Custom(canonical_custom(&text)),
        };
    }
    let Some(parsed) = TypeWords::parse(&lower) else {
        return ColumnType::Custom(canonical_custom(&text));
    };
    let TypeWords {
        base,
        args,
        unsigned,
        other,
    } = parsed;
    if other {
        return ColumnType::Custom(canonical_custom(&text));
    }
    let int = |signed: ColumnType, unsigned_ty: ColumnType| {
        if unsigned { unsigned_ty } else { signed }
    };
    let custom = |name: &str| ColumnType::Custom(name.to_owned());
    match (base.as_str(), args.as_slice(), unsigned) {
        ("tinyint", [1], false) | ("bool" | "boolean", [], false) => ColumnType::Boolean,
        ("tinyint", [] | [_], _) => int(ColumnType::TinyInteger, ColumnType::TinyUnsigned),
        ("smallint", [] | [_], _) => int(ColumnType::SmallInteger, ColumnType::SmallUnsigned),
        ("int" | "integer", [] | [_], _) => int(ColumnType::Integer, ColumnType::Unsigned),
        ("bigint", [] | [_], _) => int(ColumnType::BigInteger, ColumnType::BigUnsigned),
        ("mediumint", [] | [_], false) => custom("mediumint"),
        ("mediumint", [] | [_], true) => custom("mediumint unsigned"),
        ("float", [], false) => ColumnType::Float,
        ("double" | "double precision" | "real", [], false) => ColumnType::Double,
        ("decimal" | "numeric" | "dec" | "fixed", [], false) => ColumnType::Decimal(Some((10, 0))),
        ("decimal" | "numeric" | "dec" | "fixed", [p], false) => ColumnType::Decimal(Some((*p, 0))),
        ("decimal" | "numeric" | "dec" | "fixed", [p, s], false) => {
            ColumnType::Decimal(Some((*p, *s)))
        }
        ("char" | "character", [], false) => ColumnType::Char(Some(1)),
        ("char" | "character", [n], false) => ColumnType::Char(Some(*n)),
        ("varchar" | "character varying", [n], false) => ColumnType::String(Some(*n)),
        ("text", [], false) => ColumnType::Text,
        ("json", [], false) => ColumnType::Json,
        ("binary", [], false) => ColumnType::Binary(1),
        ("binary", [n], false) => ColumnType::Binary(*n),
        ("varbinary", [n], false) => ColumnType::VarBinary(Some(*n)),
        ("blob", [], false) => ColumnType::Blob,
        ("date", [], false) => ColumnType::Date,
        ("time", [], false) => ColumnType::Time,
        ("datetime", [], false) => ColumnType::DateTime,
        ("timestamp", [], false) => ColumnType::Timestamp,
        ("year", [] | [4], false) => ColumnType::Year,
        ("bit", [], false) => custom("bit(1)"),
        _ => ColumnType::Custom(canonical_custom(&text)),
    }
}

/// A type spelling split into its base name, numeric arguments and attributes.
struct TypeWords {
    base: String,
    args: Vec<u32>,
    unsigned: bool,
    /// Anything else after the arguments (`zerofill`, a character set, ...).
    other: bool,
}

impl TypeWords {
    /// Splits a lower-case spelling; `None` when the arguments are not numbers.
    fn parse(lower: &str) -> Option<TypeWords> {
        let (head, args, tail) = match lower.find('(') {
            Some(open) => {
                let close = open + lower[open..].find(')')?;
                let args = lower[open + 1..close]
                    .split(',')
                    .map(|a| a.trim().parse().ok())
                    .collect::<Option<Vec<u32>>>()?;
                (lower[..open].trim(), args, lower[close + 1..].trim())
            }
            None => (lower, Vec::new(), ""),
        };
        let mut words: Vec<&str> = head.split_whitespace().collect();
        let mut unsigned = false;
        let mut other = false;
        let mut attribute = |word: &str| match word {
            "unsigned" => unsigned = true,
            "signed" => {}
            _ => other = true,
        };
        while let Some(&last) = words.last() {
            if !matches!(last, "unsigned" | "signed" | "zerofill") || words.len() == 1 {
                break;
            }
            attribute(last);
            words.pop();
        }
        tail.split_whitespace().for_each(&mut attribute);
        Some(TypeWords {
            base: words.join(" "),
            args,
            unsigned,
            other,
        })
    }
}

/// A type the IR has no name for, spelled canonically: lower case outside
/// quotes, no display width on integer types, no blanks inside parentheses.
fn canonical_custom(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    for c in collapse_whitespace(text).chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == ' ' && (out.ends_with('(') || out.ends_with(',')) => {}
            None if c == ')' || c == ',' => {
                if out.ends_with(' ') {
                    out.pop();
                }
                out.push(c);
            }
            None => {
                if c == '\'' {
                    quote = Some(c);
                }
                out.push(c.to_ascii_lowercase());
            }
        }
    }
    for int in ["tinyint", "smallint", "mediumint", "bigint", "int"] {
        if let Some(rest) = out.strip_prefix(int).and_then(|r| r.strip_prefix('('))
            && let Some(close) = rest.find(')')
            && rest[..close].bytes().all(|b| b.is_ascii_digit())
        {
            return format!("{int}{}", &rest[close + 1..]);
        }
    }
    out
}

/// The values of a comma-separated list of `'quoted'` literals (`'a','b''c'`).
fn parse_quoted_list(text: &str) -> Option<Vec<String>> {
    let mut values = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (value, after) = take_quoted(rest)?;
        values.push(value);
        rest = after.trim_start();
        match rest.strip_prefix(',') {
            Some(next) => rest = next.trim_start(),
            None if rest.is_empty() => {}
            None => return None,
        }
    }
    Some(values)
}

/// Reads one `'quoted'` literal at the start of `text` (`''` and backslash
/// escapes, as MySQL writes them); returns its value and the text after it.
fn take_quoted(text: &str) -> Option<(String, &str)> {
    let inner = text.strip_prefix('\'')?;
    let mut value = String::new();
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                chars.next();
                value.push('\'');
            }
            '\'' => return Some((value, &inner[i + 1..])),
            '\\' => {
                let (_, escaped) = chars.next()?;
                value.push(match escaped {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    '0' => '\0',
                    'Z' => '\u{1a}',
                    other => other,
                });
            }
            other => value.push(other),
        }
    }
    None
}

/// The value of `text` if it is exactly one string literal, optionally with a
/// character-set introducer (`_utf8mb4'x'`).
fn unquote(text: &str) -> Option<String> {
    let text = strip_introducer(text);
    match take_quoted(text)? {
        (value, "") => Some(value),
        _ => None,
    }
}

/// `text` without a leading `_charset` introducer before a quote.
fn strip_introducer(text: &str) -> &str {
    match text.find('\'') {
        Some(quote)
            if quote > 1
                && text.starts_with('_')
                && text[1..quote]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            &text[quote..]
        }
        _ => text,
    }
}

/// The value of a bit literal (`b'101'`, `0b101`) as decimal text.
fn bit_literal(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let bits = lower
        .strip_prefix("b'")
        .and_then(|b| b.strip_suffix('\''))
        .or_else(|| lower.strip_prefix("0b"))?;
    if bits.is_empty() || !bits.bytes().all(|b| b == b'0' || b == b'1') {
        return None;
    }
    u128::from_str_radix(bits, 2).ok().map(|n| n.to_string())
}

/// [`canonical_number`], with exponents written out (`2.5e3` → `2500`), as
/// MySQL reports them.
fn number(text: &str) -> Option<String> {
    let canonical = canonical_number(text)?;
    if canonical.contains('e') {
        let value: f64 = canonical.parse().ok()?;
        return value.is_finite().then(|| value.to_string());
    }
    Some(canonical)
}

/// Reads a default written as SQL: MariaDB's `COLUMN_DEFAULT` (10.2.7 and
/// later), MySQL's expression defaults (`EXTRA` says `DEFAULT_GENERATED`), or a
/// hand-written default.
///
/// `NULL`, numbers, bit literals (`b'101'` → `5`), `'quoted'` strings (with
/// `''` and backslash escapes, and an optional `_charset` introducer), `TRUE` /
/// `FALSE`, and the current-time functions (`CURRENT_TIMESTAMP`,
/// `current_timestamp()`, `now()`, `localtimestamp`, ...; `curdate()`,
/// `current_date`; `curtime()`, `current_time`) are read as such, also inside
/// redundant parentheses; anything else is [`DefaultValue::Expr`] without its
/// outer parentheses.
pub fn parse_default_sql(text: &str) -> DefaultValue {
    let text = strip_outer_parens(text.trim());
    if let Some(n) = number(text).or_else(|| bit_literal(text)) {
        return DefaultValue::Number(n);
    }
    if let Some(s) = unquote(text) {
        return DefaultValue::String(s);
    }
    let keyword: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    match keyword.as_str() {
        "null" => DefaultValue::Null,
        "true" => DefaultValue::Bool(true),
        "false" => DefaultValue::Bool(false),
        "current_timestamp"
        | "current_timestamp()"
        | "now()"
        | "localtime"
        | "localtime()"
        | "localtimestamp"
        | "localtimestamp()" => DefaultValue::CurrentTimestamp,
        "current_date" | "current_date()" | "curdate()" => DefaultValue::CurrentDate,
        "current_time" | "current_time()" | "curtime()" => DefaultValue::CurrentTime,
        _ => DefaultValue::Expr(text.to_owned()),
    }
}

/// Reads a literal default as MySQL (and MariaDB before 10.2.7) reports it in
/// `COLUMN_DEFAULT`: the bare value, unquoted, for a column of type `ty`.
///
/// On numeric columns a number (bit literals as decimal text), on date and time
/// columns the current-time keywords, elsewhere the text as a string.
pub fn parse_default_literal(text: &str, ty: &ColumnType) -> DefaultValue {
    match value_class(ty) {
        ValueClass::Numeric => match number(text).or_else(|| bit_literal(text)) {
            Some(n) => DefaultValue::Number(n),
            None => DefaultValue::String(text.to_owned()),
        },
        ValueClass::Temporal => match parse_default_sql(text) {
            keyword @ (DefaultValue::CurrentTimestamp
            | DefaultValue::CurrentDate
            | DefaultValue::CurrentTime) => keyword,
            _ => DefaultValue::String(text.to_owned()),
        },
        ValueClass::Textual | ValueClass::Other => DefaultValue::String(text.to_owned()),
    }
}

/// A default in the form MySQL cannot tell apart from its equals, for a column
/// of (canonical) type `ty`; `None` when it is no default at all (`DEFAULT
/// NULL` is what no default means).
///
/// Expressions are re-read with [`parse_default_sql`]. On numeric columns
/// (`Boolean` included) booleans are `1` / `0` and numeric strings are numbers
/// (`'1'` ≡ `1`); on text columns (`char`, `varchar`, `text`, enums) numbers and
/// booleans are the strings MySQL stores (`DEFAULT 5` ≡ `DEFAULT '5'`). Numbers
/// get their canonical text, remaining expressions [`canonical_expr`].
pub fn normalize_default(default: &DefaultValue, ty: &ColumnType) -> Option<DefaultValue> {
    let default = match default {
        DefaultValue::Expr(text) => parse_default_sql(text),
        other => other.clone(),
    };
    let class = value_class(ty);
    let number_or_text = |n: String| match class {
        ValueClass::Textual => DefaultValue::String(n),
        _ => DefaultValue::Number(n),
    };
    Some(match default {
        DefaultValue::Null => return None,
        DefaultValue::Bool(b) => number_or_text(if b { "1" } else { "0" }.into()),
        DefaultValue::Number(n) => number_or_text(number(&n).unwrap_or(n)),
        DefaultValue::String(s) if class == ValueClass::Numeric => match number(&s) {
            Some(n) => DefaultValue::Number(n),
            None => DefaultValue::String(s),
        },
        DefaultValue::Expr(text) => DefaultValue::Expr(canonical_expr(&text)),
        other => other,
    })
}

/// What kind of literal a column of type `ty` holds, for reading defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueClass {
    Numeric,
    Textual,
    Temporal,
    Other,
}

fn value_class(ty: &ColumnType) -> ValueClass {
    use ColumnType as T;
    match ty {
        T::TinyInteger
        | T::SmallInteger
        | T::Integer
        | T::BigInteger
        | T::TinyUnsigned
        | T::SmallUnsigned
        | T::Unsigned
        | T::BigUnsigned
        | T::Float
        | T::Double
        | T::Decimal(_)
        | T::Boolean
        | T::Money
        | T::Year => ValueClass::Numeric,
        T::Char(_) | T::String(_) | T::Text | T::Enum { .. } => ValueClass::Textual,
        T::DateTime | T::Timestamp | T::TimestampWithTimeZone | T::Time | T::Date => {
            ValueClass::Temporal
        }
        T::Custom(name) => {
            let name = name.to_ascii_lowercase();
            let starts = |prefixes: &[&str]| prefixes.iter().any(|p| name.starts_with(p));
            if starts(&[
                "mediumint",
                "bit",
                "float",
                "double",
                "decimal",
                "numeric",
                "real",
            ]) {
                ValueClass::Numeric
            } else if starts(&[
                "tinytext",
                "mediumtext",
                "longtext",
                "set(",
                "varchar",
                "char",
            ]) {
                ValueClass::Textual
            } else if starts(&["datetime", "timestamp", "time", "date"]) {
                ValueClass::Temporal
            } else {
                ValueClass::Other
            }
        }
        _ => ValueClass::Other,
    }
}

/// An SQL expression (generated column, CHECK, expression default) in a form
/// that does not depend on how the server printed it: without outer
/// parentheses, identifier quotes (`` ` `` and `"`), character-set introducers
/// (`_utf8mb4'x'`) and blanks, and lower case outside string literals.
///
/// MySQL 8 prints `(`a` * 2)`, MariaDB `` `a` * 2 ``, sea-query `"a" * 2`: all
/// three are `a*2`. (Dropping blanks could only merge two different
/// expressions that differ in nothing but blanks between words.)
pub fn canonical_expr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = strip_outer_parens(text.trim());
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            strip_introducer_suffix(&mut out);
            let len = quoted_len(rest);
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        match c {
            '`' | '"' => {}
            c if c.is_whitespace() => {}
            c => out.extend(c.to_lowercase()),
        }
        rest = &rest[c.len_utf8()..];
    }
    strip_outer_parens(&out).to_owned()
}

/// Removes a `_charset` introducer that `out` ends with (it precedes a quote).
fn strip_introducer_suffix(out: &mut String) {
    let ident_len = out
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let start = out.len() - ident_len;
    let word = &out[start..];
    if word.len() > 1 && word.starts_with('_') {
        out.truncate(start);
    }
}

/// The length in bytes of the `'quoted'` literal at the start of `text`
/// (all of `text` if it is not closed).
fn quoted_len(text: &str) -> usize {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\'' if chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                chars.next();
            }
            '\'' => return i + 1,
            _ => {}
        }
    }
    text.len()
}
