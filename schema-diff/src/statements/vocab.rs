//! The shared vocabulary of column builders: which sea-query `ColumnDef` method an IR
//! type becomes, and which `.default(...)` argument an IR default becomes.
//!
//! [`crate::statements`] applies these to real builders and [`crate::render`] prints
//! them as Rust, so both paths call the same methods with the same arguments. The
//! method names printed by the renderer come from the same macro table that calls
//! them here, so they cannot drift apart.

use sea_query::{Alias, ColumnDef, ColumnType as SeaType, Expr, IntoIden, StringLen};

use crate::ir::{ColumnType, DefaultValue};

/// Declares [`Method`] from one table of `Variant(args) => column_def_method` rows, with
/// `name`, `args` and `apply` generated from the same row.
macro_rules! methods {
    ($($variant:ident $(($($arg:ident),+))? => $method:ident),+ $(,)?) => {
        /// A `ColumnDef` type method taking only `u32` arguments.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Method {
            $($variant $(($(methods!(@u32 $arg)),+))?),+
        }

        impl Method {
            /// The `ColumnDef` method's name.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Method::$variant $(($(methods!(@ignore $arg)),+))? => stringify!($method)),+
                }
            }

            /// The method's arguments, in order.
            pub(crate) fn args(self) -> Vec<u32> {
                match self {
                    $(Method::$variant $(($($arg),+))? => vec![$($($arg),+)?]),+
                }
            }

            /// Calls the method on `def`.
            pub(crate) fn apply(self, def: &mut ColumnDef) {
                match self {
                    $(Method::$variant $(($($arg),+))? => {
                        def.$method($($($arg),+)?);
                    }),+
                }
            }
        }
    };
    (@u32 $arg:ident) => { u32 };
    (@ignore $arg:ident) => { _ };
}

methods! {
    CharLen(n) => char_len,
    Char => char,
    StringLen(n) => string_len,
    String => string,
    Text => text,
    TinyInteger => tiny_integer,
    SmallInteger => small_integer,
    Integer => integer,
    BigInteger => big_integer,
    TinyUnsigned => tiny_unsigned,
    SmallUnsigned => small_unsigned,
    Unsigned => unsigned,
    BigUnsigned => big_unsigned,
    Float => float,
    Double => double,
    DecimalLen(p, s) => decimal_len,
    Decimal => decimal,
    DateTime => date_time,
    Timestamp => timestamp,
    TimestampWithTimeZone => timestamp_with_time_zone,
    Time => time,
    Date => date,
    Year => year,
    BinaryLen(n) => binary_len,
    VarBinary(n) => var_binary,
    Blob => blob,
    Boolean => boolean,
    Money => money,
    Json => json,
    JsonBinary => json_binary,
    Uuid => uuid,
}

/// How a column's type is set on a `ColumnDef`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TypeCall<'a> {
    /// `.method(args..)`.
    Method(Method),
    /// `.interval(None, None)`.
    Interval,
    /// `.custom("name")`.
    Custom(&'a str),
    /// `.enumeration(Name, ["a", "b"])`: the named type on PostgreSQL, `ENUM(...)` on
    /// MySQL and `enum_text` on SQLite, exactly as SeaORM's `create_table_from_entity`.
    Enum {
        name: &'a str,
        variants: &'a [String],
    },
    /// `.array(<element type>)`.
    Array(&'a ColumnType),
    /// No `ColumnDef` method sets this type: `ColumnDef::new_with_type(name, <type>)`.
    WithType(&'a ColumnType),
}

/// The `ColumnDef` call that gives a column the IR type `ty`.
pub(crate) fn type_call(ty: &ColumnType) -> TypeCall<'_> {
    use Method as M;
    let method = match ty {
        ColumnType::Char(Some(n)) => M::CharLen(*n),
        ColumnType::Char(None) => M::Char,
        ColumnType::String(Some(n)) => M::StringLen(*n),
        ColumnType::String(None) => M::String,
        ColumnType::Text => M::Text,
        ColumnType::TinyInteger => M::TinyInteger,
        ColumnType::SmallInteger => M::SmallInteger,
        ColumnType::Integer => M::Integer,
        ColumnType::BigInteger => M::BigInteger,
        ColumnType::TinyUnsigned => M::TinyUnsigned,
        ColumnType::SmallUnsigned => M::SmallUnsigned,
        ColumnType::Unsigned => M::Unsigned,
        ColumnType::BigUnsigned => M::BigUnsigned,
        ColumnType::Float => M::Float,
        ColumnType::Double => M::Double,
        ColumnType::Decimal(Some((p, s))) => M::DecimalLen(*p, *s),
        ColumnType::Decimal(None) => M::Decimal,
        ColumnType::DateTime => M::DateTime,
        ColumnType::Timestamp => M::Timestamp,
        ColumnType::TimestampWithTimeZone => M::TimestampWithTimeZone,
        ColumnType::Time => M::Time,
        ColumnType::Date => M::Date,
        ColumnType::Year => M::Year,
        ColumnType::Binary(n) => M::BinaryLen(*n),
        ColumnType::VarBinary(Some(n)) => M::VarBinary(*n),
        ColumnType::Blob => M::Blob,
        ColumnType::Boolean => M::Boolean,
        ColumnType::Money => M::Money,
        ColumnType::Json => M::Json,
        ColumnType::JsonBinary => M::JsonBinary,
        ColumnType::Uuid => M::Uuid,
        ColumnType::Interval => return TypeCall::Interval,
        ColumnType::Custom(name) => return TypeCall::Custom(name),
        ColumnType::Enum { name, variants } => return TypeCall::Enum { name, variants },
        ColumnType::Array(inner) => return TypeCall::Array(inner),
        ColumnType::VarBinary(None) => return TypeCall::WithType(ty),
    };
    TypeCall::Method(method)
}

/// A new `ColumnDef` called `name` with the IR type `ty` (see [`type_call`]).
pub(crate) fn typed_column_def(name: &str, ty: &ColumnType) -> ColumnDef {
    let call = type_call(ty);
    if let TypeCall::WithType(ty) = call {
        return ColumnDef::new_with_type(Alias::new(name), sea_type(ty));
    }
    let mut def = ColumnDef::new(Alias::new(name));
    match call {
        TypeCall::Method(method) => method.apply(&mut def),
        TypeCall::Interval => {
            def.interval(None, None);
        }
        TypeCall::Custom(name) => {
            def.custom(Alias::new(name));
        }
        TypeCall::Enum { name, variants } => {
            def.enumeration(Alias::new(name), variants.iter().map(Alias::new));
        }
        TypeCall::Array(inner) => {
            def.array(sea_type(inner));
        }
        TypeCall::WithType(_) => {}
    }
    def
}

/// The IR type as a sea-query `ColumnType` value (array elements and types without a
/// `ColumnDef` method). The renderer prints the same value in `render::column`.
pub(crate) fn sea_type(ty: &ColumnType) -> SeaType {
    match ty {
        ColumnType::Char(n) => SeaType::Char(*n),
        ColumnType::String(n) => SeaType::String(string_len(*n)),
        ColumnType::Text => SeaType::Text,
        ColumnType::TinyInteger => SeaType::TinyInteger,
        ColumnType::SmallInteger => SeaType::SmallInteger,
        ColumnType::Integer => SeaType::Integer,
        ColumnType::BigInteger => SeaType::BigInteger,
        ColumnType::TinyUnsigned => SeaType::TinyUnsigned,
        ColumnType::SmallUnsigned => SeaType::SmallUnsigned,
        ColumnType::Unsigned => SeaType::Unsigned,
        ColumnType::BigUnsigned => SeaType::BigUnsigned,
        ColumnType::Float => SeaType::Float,
        ColumnType::Double => SeaType::Double,
        ColumnType::Decimal(ps) => SeaType::Decimal(*ps),
        ColumnType::DateTime => SeaType::DateTime,
        ColumnType::Timestamp => SeaType::Timestamp,
        ColumnType::TimestampWithTimeZone => SeaType::TimestampWithTimeZone,
        ColumnType::Time => SeaType::Time,
        ColumnType::Date => SeaType::Date,
        ColumnType::Year => SeaType::Year,
        ColumnType::Interval => SeaType::Interval(None, None),
        ColumnType::Binary(n) => SeaType::Binary(*n),
        ColumnType::VarBinary(n) => SeaType::VarBinary(string_len(*n)),
        ColumnType::Blob => SeaType::Blob,
        ColumnType::Boolean => SeaType::Boolean,
        ColumnType::Money => SeaType::Money(None),
        ColumnType::Json => SeaType::Json,
        ColumnType::JsonBinary => SeaType::JsonBinary,
        ColumnType::Uuid => SeaType::Uuid,
        ColumnType::Enum { name, variants } => SeaType::Enum {
            name: Alias::new(name).into_iden(),
            variants: variants.iter().map(|v| Alias::new(v).into_iden()).collect(),
        },
        ColumnType::Array(inner) => SeaType::Array(sea_type(inner).into()),
        ColumnType::Custom(name) => SeaType::Custom(Alias::new(name).into_iden()),
    }
}

fn string_len(n: Option<u32>) -> StringLen {
    n.map_or(StringLen::None, StringLen::N)
}

/// The argument of `.default(...)` for an IR default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum DefaultArg<'a> {
    /// `Expr::null()`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A float literal whose `Display` is exactly the IR text.
    Float(f64),
    /// A string literal, quoted by sea-query.
    Str(&'a str),
    /// `Expr::current_timestamp()`.
    CurrentTimestamp,
    /// `Expr::current_date()`.
    CurrentDate,
    /// `Expr::current_time()`.
    CurrentTime,
    /// `Expr::cust("...")`: written in parentheses, as SQLite requires for expressions.
    Custom(&'a str),
}

/// The `.default(...)` argument for `default`.
///
/// Numbers become typed literals (written bare, `DEFAULT 1`) when their text survives
/// the round trip, so that MySQL does not see an expression default; other numbers are
/// written as custom SQL.
pub(crate) fn default_arg(default: &DefaultValue) -> DefaultArg<'_> {
    match default {
        DefaultValue::Null => DefaultArg::Null,
        DefaultValue::Bool(b) => DefaultArg::Bool(*b),
        DefaultValue::Number(text) => {
            if let Ok(n) = text.parse::<i64>()
                && n.to_string() == *text
            {
                DefaultArg::Int(n)
            } else if let Ok(f) = text.parse::<f64>()
                && f.is_finite()
                && f.to_string() == *text
            {
                DefaultArg::Float(f)
            } else {
                DefaultArg::Custom(text)
            }
        }
        DefaultValue::String(s) => DefaultArg::Str(s),
        DefaultValue::CurrentTimestamp => DefaultArg::CurrentTimestamp,
        DefaultValue::CurrentDate => DefaultArg::CurrentDate,
        DefaultValue::CurrentTime => DefaultArg::CurrentTime,
        DefaultValue::Expr(e) => DefaultArg::Custom(e),
    }
}

impl DefaultArg<'_> {
    /// The sea-query expression passed to `.default(...)`.
    pub(crate) fn to_expr(self) -> Expr {
        match self {
            DefaultArg::Null => Expr::null(),
            DefaultArg::Bool(b) => Expr::val(b),
            DefaultArg::Int(n) => match i32::try_from(n) {
                // The renderer writes `1` (an i32) when it fits; same SQL either way.
                Ok(small) => Expr::val(small),
                Err(_) => Expr::val(n),
            },
            DefaultArg::Float(f) => Expr::val(f),
            DefaultArg::Str(s) => Expr::val(s),
            DefaultArg::CurrentTimestamp => Expr::current_timestamp(),
            DefaultArg::CurrentDate => Expr::current_date(),
            DefaultArg::CurrentTime => Expr::current_time(),
            DefaultArg::Custom(sql) => Expr::cust(sql.to_owned()),
        }
    }
}
