//! `ColumnDef` chains, printed from the same vocabulary `statements` applies
//! ([`crate::statements::vocab`]).

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use super::Ctx;
use crate::ir::{Column, ColumnType};
use crate::statements::ModifyParts;
use crate::statements::vocab::{DefaultArg, TypeCall, default_arg, type_call};

/// `ColumnDef::new(T::C).<type>()...` for `column` of `table`, as
/// [`crate::statements::column_def`] builds it; `.primary_key()` when `primary_key`.
pub(super) fn column_def(
    ctx: &mut Ctx,
    table: &str,
    column: &Column,
    primary_key: bool,
) -> TokenStream {
    let mut def = typed_new(ctx, table, column);
    if column.generated.is_none() {
        def.extend(null_tokens(column));
    }
    if column.auto_increment {
        def.extend(quote! { .auto_increment() });
    }
    def.extend(default_tokens(column));
    if let Some(generated) = &column.generated {
        let expr = &generated.expr;
        let stored = generated.stored;
        def.extend(quote! { .generated(Expr::cust(#expr), #stored) });
    }
    if let Some(comment) = &column.comment {
        def.extend(quote! { .comment(#comment) });
    }
    if primary_key {
        def.extend(quote! { .primary_key() });
    }
    def
}

/// The `ColumnDef` of an `ALTER COLUMN`, as [`crate::statements::modify_column_def`].
pub(super) fn modify_column_def(
    ctx: &mut Ctx,
    table: &str,
    column: &Column,
    parts: &ModifyParts,
) -> TokenStream {
    match parts {
        ModifyParts::Full => column_def(ctx, table, column, false),
        ModifyParts::TypeUsing(using) => {
            let mut def = typed_new(ctx, table, column);
            let using = super::sql_literal(using);
            def.extend(quote! { .using(Expr::cust(#using)) });
            def
        }
        ModifyParts::NullDefault => {
            let name = ctx.names.column(table, &column.name);
            let mut def = quote! { ColumnDef::new(#name) };
            def.extend(null_tokens(column));
            def.extend(default_tokens(column));
            def
        }
    }
}

fn null_tokens(column: &Column) -> TokenStream {
    if column.nullable {
        quote! { .null() }
    } else {
        quote! { .not_null() }
    }
}

fn default_tokens(column: &Column) -> TokenStream {
    match &column.default {
        Some(default) => {
            let arg = default_arg_tokens(default_arg(default));
            quote! { .default(#arg) }
        }
        None => TokenStream::new(),
    }
}

/// `ColumnDef::new(T::C).<type call>` (or `new_with_type` where no method exists).
fn typed_new(ctx: &mut Ctx, table: &str, column: &Column) -> TokenStream {
    let name = ctx.names.column(table, &column.name);
    match type_call(&column.ty) {
        TypeCall::WithType(ty) => {
            let ty = column_type(ctx, ty);
            quote! { ColumnDef::new_with_type(#name, #ty) }
        }
        call => {
            let call = type_call_tokens(ctx, call);
            quote! { ColumnDef::new(#name) #call }
        }
    }
}

fn type_call_tokens(ctx: &mut Ctx, call: TypeCall<'_>) -> TokenStream {
    match call {
        TypeCall::Method(method) => {
            let name = Ident::new(method.name(), Span::call_site());
            let args = method.args().into_iter().map(Literal::u32_unsuffixed);
            quote! { .#name(#(#args),*) }
        }
        TypeCall::Interval => quote! { .interval(None, None) },
        TypeCall::Custom(name) => quote! { .custom(#name) },
        TypeCall::Enum { name, variants } => {
            let name = ctx.names.enum_type(name);
            let variants = str_list(variants);
            quote! { .enumeration(#name, #variants) }
        }
        TypeCall::Array(inner) => {
            let inner = column_type(ctx, inner);
            quote! { .array(#inner) }
        }
        TypeCall::WithType(ty) => {
            // Not reached: `typed_new` handles it; kept total for safety.
            let ty = column_type(ctx, ty);
            quote! { .custom(#ty) }
        }
    }
}

/// `["a", "b"]`, or an empty iterator of `&str` (an empty array has no item type).
pub(super) fn str_list(values: &[String]) -> TokenStream {
    if values.is_empty() {
        quote! { std::iter::empty::<&str>() }
    } else {
        quote! { [#(#values),*] }
    }
}

/// A sea-query `ColumnType` value, as [`crate::statements::vocab::sea_type`] builds it.
pub(super) fn column_type(ctx: &mut Ctx, ty: &ColumnType) -> TokenStream {
    let lit = |n: u32| Literal::u32_unsuffixed(n);
    let opt = |n: &Option<u32>| match n {
        Some(n) => {
            let n = lit(*n);
            quote! { Some(#n) }
        }
        None => quote! { None },
    };
    let len = |n: &Option<u32>| match n {
        Some(n) => {
            let n = lit(*n);
            quote! { StringLen::N(#n) }
        }
        None => quote! { StringLen::None },
    };
    match ty {
        ColumnType::Char(n) => {
            let n = opt(n);
            quote! { ColumnType::Char(#n) }
        }
        ColumnType::String(n) => {
            let n = len(n);
            quote! { ColumnType::String(#n) }
        }
        ColumnType::VarBinary(n) => {
            let n = len(n);
            quote! { ColumnType::VarBinary(#n) }
        }
        ColumnType::Decimal(Some((p, s))) => {
            let (p, s) = (lit(*p), lit(*s));
            quote! { ColumnType::Decimal(Some((#p, #s))) }
        }
        ColumnType::Decimal(None) => quote! { ColumnType::Decimal(None) },
        ColumnType::Interval => quote! { ColumnType::Interval(None, None) },
        ColumnType::Binary(n) => {
            let n = lit(*n);
            quote! { ColumnType::Binary(#n) }
        }
        ColumnType::Money => quote! { ColumnType::Money(None) },
        ColumnType::Enum { name, variants } => {
            // The same identifier the column's `.enumeration(...)` would use.
            let name = ctx.names.enum_type(name);
            quote! {
                ColumnType::Enum { name: #name.into(), variants: vec![#(#variants.into()),*] }
            }
        }
        ColumnType::Array(inner) => {
            let inner = column_type(ctx, inner);
            quote! { ColumnType::Array(#inner.into()) }
        }
        ColumnType::Custom(name) => quote! { ColumnType::custom(#name) },
        unit => {
            let name = unit_variant(unit);
            let name = Ident::new(name, Span::call_site());
            quote! { ColumnType::#name }
        }
    }
}

fn unit_variant(ty: &ColumnType) -> &'static str {
    match ty {
        ColumnType::Text => "Text",
        ColumnType::TinyInteger => "TinyInteger",
        ColumnType::SmallInteger => "SmallInteger",
        ColumnType::Integer => "Integer",
        ColumnType::BigInteger => "BigInteger",
        ColumnType::TinyUnsigned => "TinyUnsigned",
        ColumnType::SmallUnsigned => "SmallUnsigned",
        ColumnType::Unsigned => "Unsigned",
        ColumnType::BigUnsigned => "BigUnsigned",
        ColumnType::Float => "Float",
        ColumnType::Double => "Double",
        ColumnType::DateTime => "DateTime",
        ColumnType::Timestamp => "Timestamp",
        ColumnType::TimestampWithTimeZone => "TimestampWithTimeZone",
        ColumnType::Time => "Time",
        ColumnType::Date => "Date",
        ColumnType::Year => "Year",
        ColumnType::Blob => "Blob",
        ColumnType::Boolean => "Boolean",
        ColumnType::Json => "Json",
        ColumnType::JsonBinary => "JsonBinary",
        ColumnType::Uuid => "Uuid",
        // Types with arguments are printed by `column_type` itself.
        ColumnType::Char(_)
        | ColumnType::String(_)
        | ColumnType::Decimal(_)
        | ColumnType::Interval
        | ColumnType::Binary(_)
        | ColumnType::VarBinary(_)
        | ColumnType::Money
        | ColumnType::Enum { .. }
        | ColumnType::Array(_)
        | ColumnType::Custom(_) => "Text",
    }
}

/// The argument of `.default(...)`, as [`DefaultArg::to_expr`] builds it.
fn default_arg_tokens(arg: DefaultArg<'_>) -> TokenStream {
    match arg {
        DefaultArg::Null => quote! { Expr::null() },
        DefaultArg::Bool(b) => quote! { #b },
        DefaultArg::Int(n) => {
            let abs = n.unsigned_abs();
            // An `i32` literal when it fits, else `i64`, as `DefaultArg::to_expr` uses.
            let lit = if i32::try_from(n).is_ok() {
                Literal::u64_unsuffixed(abs)
            } else {
                format!("{abs}i64")
                    .parse::<Literal>()
                    .unwrap_or_else(|_| Literal::u64_unsuffixed(abs))
            };
            if n < 0 {
                quote! { -#lit }
            } else {
                quote! { #lit }
            }
        }
        DefaultArg::Float(f) => {
            let lit = Literal::f64_unsuffixed(f.abs());
            if f.is_sign_negative() {
                quote! { -#lit }
            } else {
                quote! { #lit }
            }
        }
        DefaultArg::Str(s) => quote! { #s },
        DefaultArg::CurrentTimestamp => quote! { Expr::current_timestamp() },
        DefaultArg::CurrentDate => quote! { Expr::current_date() },
        DefaultArg::CurrentTime => quote! { Expr::current_time() },
        DefaultArg::Custom(sql) => {
            let sql = super::sql_literal(sql);
            quote! { Expr::cust(#sql) }
        }
    }
}
