//! One table → one entity module: `Model` with its column attributes, `Relation`
//! with `belongs_to` / `has_many`, and the `Related` impls.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::names::{fields, ident, pascal, snake, unique};
use super::types::{DefaultAttr, default_attr, field_type};
use super::{Catalog, Note};
use crate::display::visible;
use crate::ir::{FkAction, Index, Table};

/// A rendered entity module: its code (without the header) and what it could not say.
pub(crate) struct Rendered {
    pub code: TokenStream,
    pub notes: Vec<Note>,
}

/// Renders `table` (at position `pos` of the catalog).
pub(crate) fn render(cat: &Catalog<'_>, pos: usize) -> Rendered {
    let table = cat.tables[pos];
    let mut notes = Vec::new();
    let note = |notes: &mut Vec<Note>, text: String| {
        notes.push(Note {
            table: Some(table.name.clone()),
            text,
        });
    };
    let column_names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let names = fields(&column_names);
    let attrs = index_attrs(table, &mut notes);

    let mut no_eq = false;
    let mut enums_used: Vec<syn::Ident> = Vec::new();
    let mut field_tokens = Vec::new();
    for (i, column) in table.columns.iter().enumerate() {
        let (field, _) = &names[i];
        let enum_ident = cat.enum_ident(&table.name, column);
        let ft = match field_type(&column.ty, enum_ident.as_ref()) {
            Ok(ft) => ft,
            Err(reason) => {
                note(
                    &mut notes,
                    format!(
                        "column `{}`: {reason}; written as `String`, `auto` will report it",
                        column.name
                    ),
                );
                super::types::FieldType {
                    ty: quote!(String),
                    column_type: None,
                    no_eq: false,
                }
            }
        };
        if let Some(e) = enum_ident.filter(|e| ft.column_type.is_none() && !enums_used.contains(e))
        {
            enums_used.push(e);
        }
        no_eq |= ft.no_eq;
        let mut parts: Vec<TokenStream> = Vec::new();
        if table.primary_key.contains(&column.name) {
            parts.push(quote!(primary_key));
            if !column.auto_increment {
                parts.push(quote!(auto_increment = false));
            }
        } else if column.auto_increment {
            note(
                &mut notes,
                format!(
                    "column `{}` is auto-increment but not the primary key",
                    column.name
                ),
            );
        }
        if *field != column.name {
            let name = &column.name;
            parts.push(quote!(column_name = #name));
        }
        if let Some(ct) = &ft.column_type {
            parts.push(quote!(column_type = #ct));
        }
        if column.nullable && !table.primary_key.contains(&column.name) {
            parts.push(quote!(nullable));
        }
        parts.extend(attrs.get(&column.name).cloned().unwrap_or_default());
        if let Some(default) = &column.default {
            match default_attr(default) {
                Ok(Some(DefaultAttr::Value(v))) => parts.push(quote!(default_value = #v)),
                Ok(Some(DefaultAttr::Expr(e))) => parts.push(quote!(default_expr = #e)),
                Ok(None) => {}
                Err(reason) => note(&mut notes, format!("column `{}`: {reason}", column.name)),
            }
        }
        if let Some(comment) = &column.comment {
            parts.push(quote!(comment = #comment));
        }
        if let Some(generated) = &column.generated {
            note(
                &mut notes,
                format!(
                    "column `{}` is generated (`{}`): not expressible, written as a plain column",
                    column.name, generated.expr
                ),
            );
        }
        let attr = if parts.is_empty() {
            TokenStream::new()
        } else {
            quote!(#[sea_orm(#(#parts),*)])
        };
        let ty = &ft.ty;
        let ty = if column.nullable && !table.primary_key.contains(&column.name) {
            quote!(Option<#ty>)
        } else {
            ty.clone()
        };
        let f = ident(field);
        field_tokens.push(quote! { #attr pub #f: #ty, });
    }
    for check in &table.checks {
        note(
            &mut notes,
            format!("CHECK ({}) is not expressible in an entity", check.expr),
        );
    }

    let (relation, related) = relations(cat, pos, &mut notes);
    let name = &table.name;
    let eq = if no_eq { quote!() } else { quote!(Eq,) };
    let uses = enums_used
        .iter()
        .map(|e| quote!(use super::sea_orm_active_enums::#e;));
    let code = quote! {
        use sea_orm::entity::prelude::*;
        #(#uses)*

        #[derive(Clone, Debug, PartialEq, #eq DeriveEntityModel)]
        #[sea_orm(table_name = #name)]
        pub struct Model {
            #(#field_tokens)*
        }

        #relation
        #related

        impl ActiveModelBehavior for ActiveModel {}
    };
    Rendered { code, notes }
}

/// `unique`, `indexed` and `unique_key` attributes per column, and notes for the
/// indexes no attribute can express.
fn index_attrs(table: &Table, notes: &mut Vec<Note>) -> BTreeMap<String, Vec<TokenStream>> {
    let mut attrs: BTreeMap<String, Vec<TokenStream>> = BTreeMap::new();
    let mut has_unique: Vec<&str> = Vec::new();
    let mut has_key: Vec<&str> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let position = |c: &str| table.columns.iter().position(|col| col.name == c);
    let mut sorted: Vec<&Index> = table.indexes.iter().collect();
    // Unique indexes first: `indexed` on a column that is also `unique` is dropped by SeaORM.
    sorted.sort_by_key(|i| (!i.unique, i.columns.len()));
    for index in sorted {
        let mut skip = |why: &str| {
            notes.push(Note {
                table: Some(table.name.clone()),
                text: format!(
                    "{} index `{}` on ({}) {why}; `auto` will propose dropping it",
                    if index.unique { "unique" } else { "plain" },
                    index.name,
                    index.columns.join(", ")
                ),
            });
        };
        if index.columns == table.primary_key {
            continue;
        }
        match (index.unique, index.columns.as_slice()) {
            (true, [column]) if !has_unique.contains(&column.as_str()) => {
                has_unique.push(column);
                attrs
                    .entry(column.clone())
                    .or_default()
                    .push(quote!(unique));
            }
            (false, [column]) if !has_unique.contains(&column.as_str()) => {
                attrs
                    .entry(column.clone())
                    .or_default()
                    .push(quote!(indexed));
            }
            (false, [_]) => skip("repeats a unique column"),
            (true, [_]) => skip("repeats another unique index"),
            (false, _) => skip("spans several columns, which entity attributes cannot declare"),
            (true, columns) => {
                let in_order = columns
                    .iter()
                    .map(|c| position(c))
                    .collect::<Option<Vec<_>>>()
                    .is_some_and(|p| p.windows(2).all(|w| w[0] < w[1]));
                if !in_order {
                    skip("lists its columns in another order than the table");
                } else if columns.iter().any(|c| has_key.contains(&c.as_str())) {
                    skip("shares a column with another composite unique key");
                } else {
                    let key = unique(snake(&index.name, "key_"), "_", |k| {
                        keys.iter().any(|x| x == k)
                    });
                    for column in columns {
                        has_key.push(column);
                        attrs
                            .entry(column.clone())
                            .or_default()
                            .push(quote!(unique_key = #key));
                    }
                    keys.push(key);
                }
            }
        }
    }
    attrs
}

/// `Relation` (one `belongs_to` per foreign key, one `has_many` per table that
/// references this one once) and the `Related` impls that are unambiguous.
fn relations(cat: &Catalog<'_>, pos: usize, notes: &mut Vec<Note>) -> (TokenStream, TokenStream) {
    let table = cat.tables[pos];
    let mut variants: Vec<String> = Vec::new();
    let mut items = Vec::new();
    let mut related = Vec::new();
    let this_fields = fields(
        &table
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
    );
    let variant_of = |fields: &[(String, String)], t: &Table, c: &str| {
        t.columns
            .iter()
            .position(|col| col.name == c)
            .map(|i| ident(&fields[i].1))
    };
    for fk in &table.foreign_keys {
        let Some(rpos) = cat.position(&fk.ref_table) else {
            notes.push(Note {
                table: Some(table.name.clone()),
                text: format!(
                    "foreign key to `{}`, a table outside this database, is not expressible",
                    fk.ref_table
                ),
            });
            continue;
        };
        let rtable = cat.tables[rpos];
        let rmod = ident(&cat.modules[rpos]);
        let rfields = fields(
            &rtable
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
        );
        let from: Option<Vec<_>> = fk
            .columns
            .iter()
            .map(|c| variant_of(&this_fields, table, c))
            .collect();
        let to: Option<Vec<_>> = fk
            .ref_columns
            .iter()
            .map(|c| variant_of(&rfields, rtable, c))
            .collect();
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        let same_target = table
            .foreign_keys
            .iter()
            .filter(|f| f.ref_table == fk.ref_table)
            .count();
        let base = if same_target > 1 || rpos == pos {
            pascal(
                &format!("{}_{}", cat.modules[rpos], fk.columns.join("_")),
                "R",
            )
        } else {
            pascal(&cat.modules[rpos], "R")
        };
        let variant = unique(base, "", |v| variants.iter().any(|x| x == v));
        variants.push(variant.clone());
        let path = if rpos == pos {
            "Entity".to_owned()
        } else {
            format!("super::{rmod}::Entity")
        };
        let tuple = |prefix: &str, cols: &[proc_macro2::Ident]| {
            let cols: Vec<String> = cols
                .iter()
                .map(|c| format!("{prefix}Column::{c}"))
                .collect();
            if cols.len() == 1 {
                cols[0].clone()
            } else {
                format!("({})", cols.join(", "))
            }
        };
        let from = tuple("", &from);
        let to = tuple(
            &if rpos == pos {
                String::new()
            } else {
                format!("super::{rmod}::")
            },
            &to,
        );
        let mut parts = vec![
            quote!(belongs_to = #path),
            quote!(from = #from),
            quote!(to = #to),
        ];
        if let Some(a) = action(fk.on_update) {
            parts.push(quote!(on_update = #a));
        }
        if let Some(a) = action(fk.on_delete) {
            parts.push(quote!(on_delete = #a));
        }
        let v = ident(&variant);
        items.push(quote! { #[sea_orm(#(#parts),*)] #v, });
        if same_target == 1 && rpos != pos {
            related.push(quote! {
                impl Related<super::#rmod::Entity> for Entity {
                    fn to() -> RelationDef { Relation::#v.def() }
                }
            });
        }
    }
    for (cpos, child) in cat.tables.iter().enumerate() {
        if cpos == pos
            || child
                .foreign_keys
                .iter()
                .filter(|f| f.ref_table == table.name)
                .count()
                != 1
        {
            continue;
        }
        if cat.position(&child.name).is_none() {
            continue;
        }
        let cmod = ident(&cat.modules[cpos]);
        let variant = unique(pascal(&cat.modules[cpos], "R"), "", |v| {
            variants.iter().any(|x| x == v)
        });
        variants.push(variant.clone());
        let v = ident(&variant);
        let path = format!("super::{cmod}::Entity");
        items.push(quote! { #[sea_orm(has_many = #path)] #v, });
        if table
            .foreign_keys
            .iter()
            .filter(|f| f.ref_table == child.name)
            .count()
            == 0
        {
            related.push(quote! {
                impl Related<super::#cmod::Entity> for Entity {
                    fn to() -> RelationDef { Relation::#v.def() }
                }
            });
        }
    }
    (
        quote! {
            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation { #(#items)* }
        },
        quote! { #(#related)* },
    )
}

fn action(a: FkAction) -> Option<&'static str> {
    match a {
        FkAction::NoAction => None,
        FkAction::Restrict => Some("Restrict"),
        FkAction::Cascade => Some("Cascade"),
        FkAction::SetNull => Some("SetNull"),
        FkAction::SetDefault => Some("SetDefault"),
    }
}

/// The header lines of an entity module, each made visible.
pub(crate) fn header(table: &Table, notes: &[Note]) -> String {
    let mut out = format!(
        "//! SeaORM entity for the table `{}`, written by `db-migrate pull`.\n",
        visible(&table.name)
    );
    if !notes.is_empty() {
        out.push_str("//!\n//! Not expressed by this entity:\n");
        for n in notes {
            out.push_str(&format!("//! - {}\n", visible(&n.text)));
        }
    }
    out.push('\n');
    out
}
