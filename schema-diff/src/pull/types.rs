//! IR column types and defaults → the Rust field type and the `#[sea_orm(...)]`
//! attributes that make SeaORM build the same IR back.
//!
//! Every `column_type = "..."` and `default_expr = "..."` string written here is
//! parsed by SeaORM's derive macro as Rust code, so none of them is built from
//! database text except through [`expr_cust`], which writes the text as one escaped
//! string literal and checks the result parses back to exactly that call.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::ir::{ColumnType, DefaultValue};

/// How one column is written in the entity.
pub(crate) struct FieldType {
    /// The Rust type, without `Option`.
    pub ty: TokenStream,
    /// `column_type = "..."`, when the Rust type alone would map to another type.
    pub column_type: Option<String>,
    /// Whether the type has no `Eq` (floats), so `Model` cannot derive it.
    pub no_eq: bool,
}

/// The field type for `ty`, or why it cannot be expressed. `enum_ident` is the
/// `ActiveEnum` type generated for an enum column.
pub(crate) fn field_type(
    ty: &ColumnType,
    enum_ident: Option<&syn::Ident>,
) -> Result<FieldType, String> {
    let plain = |ty: TokenStream| FieldType {
        ty,
        column_type: None,
        no_eq: false,
    };
    let with = |ty: TokenStream, column_type: String| FieldType {
        ty,
        column_type: Some(column_type),
        no_eq: false,
    };
    Ok(match ty {
        ColumnType::Char(Some(n)) => with(quote!(String), format!("Char(Some({n}))")),
        ColumnType::Char(None) => with(quote!(String), "Char(None)".into()),
        ColumnType::String(Some(n)) => with(quote!(String), format!("String(StringLen::N({n}))")),
        ColumnType::String(None) => plain(quote!(String)),
        ColumnType::Text => with(quote!(String), "Text".into()),
        ColumnType::TinyInteger => plain(quote!(i8)),
        ColumnType::SmallInteger => plain(quote!(i16)),
        ColumnType::Integer => plain(quote!(i32)),
        ColumnType::BigInteger => plain(quote!(i64)),
        ColumnType::TinyUnsigned => plain(quote!(u8)),
        ColumnType::SmallUnsigned => plain(quote!(u16)),
        ColumnType::Unsigned => plain(quote!(u32)),
        ColumnType::BigUnsigned => plain(quote!(u64)),
        ColumnType::Float => FieldType {
            no_eq: true,
            ..plain(quote!(f32))
        },
        ColumnType::Double => FieldType {
            no_eq: true,
            ..plain(quote!(f64))
        },
        ColumnType::Decimal(Some((p, s))) => {
            with(quote!(Decimal), format!("Decimal(Some(({p}, {s})))"))
        }
        ColumnType::Decimal(None) => plain(quote!(Decimal)),
        ColumnType::DateTime => plain(quote!(DateTime)),
        ColumnType::Timestamp => with(quote!(DateTime), "Timestamp".into()),
        ColumnType::TimestampWithTimeZone => plain(quote!(DateTimeWithTimeZone)),
        ColumnType::Time => plain(quote!(Time)),
        ColumnType::Date => plain(quote!(Date)),
        ColumnType::Year => with(quote!(i32), "Year".into()),
        ColumnType::Interval => with(quote!(String), "Interval(None, None)".into()),
        ColumnType::Binary(n) => with(quote!(Vec<u8>), format!("Binary({n})")),
        ColumnType::VarBinary(Some(n)) => {
            with(quote!(Vec<u8>), format!("VarBinary(StringLen::N({n}))"))
        }
        ColumnType::VarBinary(None) => with(quote!(Vec<u8>), "VarBinary(StringLen::None)".into()),
        ColumnType::Blob => with(quote!(Vec<u8>), "Blob".into()),
        ColumnType::Boolean => plain(quote!(bool)),
        ColumnType::Money => with(quote!(Decimal), "Money(None)".into()),
        ColumnType::Json => plain(quote!(Json)),
        ColumnType::JsonBinary => with(quote!(Json), "JsonBinary".into()),
        ColumnType::Uuid => plain(quote!(Uuid)),
        ColumnType::Enum { .. } => match enum_ident {
            Some(ident) => plain(quote!(#ident)),
            None => return Err("an enum type without a generated Rust enum".into()),
        },
        ColumnType::Custom(name) if plain_type_name(name) => {
            with(quote!(String), format!("custom({})", Literal::string(name)))
        }
        ColumnType::Custom(name) => {
            return Err(format!(
                "the type `{}` is not a plain type name",
                crate::display::visible(name)
            ));
        }
        ColumnType::Array(_) => return Err("array columns are not generated yet".into()),
    })
}

/// A custom type name safe to spell in `custom("...")`: ASCII letters, digits, `_`,
/// spaces, and a parenthesised list of numbers (`bit varying(8)`).
fn plain_type_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ' ' | '(' | ')' | ','))
}

/// How a default is written: `default_value = LIT` or `default_expr = "..."`.
pub(crate) enum DefaultAttr {
    Value(TokenStream),
    Expr(String),
}

/// The attribute for `default`, or `None` when the entity needs none (a `NULL` default).
pub(crate) fn default_attr(default: &DefaultValue) -> Result<Option<DefaultAttr>, String> {
    Ok(Some(match default {
        DefaultValue::Null => return Ok(None),
        DefaultValue::Bool(b) => DefaultAttr::Value(quote!(#b)),
        DefaultValue::Number(n) => number(n)?,
        DefaultValue::String(s) => DefaultAttr::Value(quote!(#s)),
        DefaultValue::CurrentTimestamp => DefaultAttr::Expr("Expr::current_timestamp()".into()),
        DefaultValue::CurrentDate => DefaultAttr::Expr("Expr::current_date()".into()),
        DefaultValue::CurrentTime => DefaultAttr::Expr("Expr::current_time()".into()),
        DefaultValue::Expr(sql) => DefaultAttr::Expr(expr_cust(sql)?),
    }))
}

/// A numeric default: a literal, or `Expr::val(-n)` for a negative number (an
/// attribute value cannot be a negative literal).
fn number(text: &str) -> Result<DefaultAttr, String> {
    let bad = || {
        format!(
            "the numeric default `{}` cannot be written",
            crate::display::visible(text)
        )
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let lit = if let Ok(n) = digits.parse::<u64>() {
        Literal::u64_unsuffixed(n)
    } else {
        match digits.parse::<f64>() {
            Ok(f) if f.is_finite() && digits.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                Literal::f64_unsuffixed(f)
            }
            _ => return Err(bad()),
        }
    };
    if negative {
        Ok(DefaultAttr::Expr(format!("Expr::val(-{lit})")))
    } else {
        Ok(DefaultAttr::Value(quote!(#lit)))
    }
}

/// `Expr::cust("sql")` with `sql` as one escaped string literal, checked by parsing
/// it back.
fn expr_cust(sql: &str) -> Result<String, String> {
    let code = format!("Expr::cust({})", Literal::string(sql));
    let parsed: syn::ExprCall = syn::parse_str(&code).map_err(|e| e.to_string())?;
    match parsed.args.iter().collect::<Vec<_>>().as_slice() {
        [
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }),
        ] if s.value() == sql => Ok(code),
        _ => Err("the default expression does not survive quoting".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_default_expressions_stay_one_literal() {
        let code = expr_cust("x\") ; panic!(\"boom").expect("quoted");
        let parsed: syn::ExprCall = syn::parse_str(&code).expect("parses");
        assert_eq!(parsed.args.len(), 1);
    }

    #[test]
    fn negative_and_decimal_numbers() {
        assert!(matches!(number("-3"), Ok(DefaultAttr::Expr(e)) if e == "Expr::val(-3)"));
        assert!(matches!(number("2.5"), Ok(DefaultAttr::Value(v)) if v.to_string() == "2.5"));
        assert!(number("1e999").is_err());
    }

    #[test]
    fn custom_type_names_must_be_plain() {
        assert!(field_type(&ColumnType::Custom("tsvector".into()), None).is_ok());
        assert!(field_type(&ColumnType::Custom("x\"); todo!(); (\"".into()), None).is_err());
    }
}
