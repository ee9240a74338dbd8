//! `pull`: a live database's schema (IR) → SeaORM entity modules that build the
//! same schema back, so that `auto` right after reports no change.
//!
//! The output is a sea-orm-cli style directory: `mod.rs`, `prelude.rs`, one module per
//! table and `sea_orm_active_enums.rs` for enum types. Code is built with `quote!` and
//! formatted with `prettyplease`; database names reach it only as string literals
//! (`table_name`, `column_name`, `string_value`, `enum_name`), Rust identifiers are
//! derived ASCII-only (`names`), and comment text goes through
//! [`crate::display::visible`].
//!
//! What no entity attribute can say (CHECK constraints, composite plain indexes,
//! generated columns, ...) is returned as [`Note`]s and written in the module header.

mod names;
mod table;
mod types;

use proc_macro2::TokenStream;
use quote::quote;

use crate::display::visible;
use crate::error::Error;
use crate::ir::{Column, ColumnType, Schema, Table};

/// One file of the generated directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledFile {
    /// The file name (`mod.rs`, `artist.rs`), never a path.
    pub name: String,
    pub contents: String,
}

/// Something in the database that the generated entities do not express.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The table it belongs to, if any.
    pub table: Option<String>,
    /// What it is, as plain text (not yet made visible).
    pub text: String,
}

/// The generated directory and what it leaves out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pulled {
    /// `mod.rs`, `prelude.rs`, `sea_orm_active_enums.rs` (when there are enums), then
    /// one file per table, sorted by table name.
    pub files: Vec<PulledFile>,
    pub notes: Vec<Note>,
}

/// What every table module needs to know about the others.
pub(crate) struct Catalog<'a> {
    pub tables: Vec<&'a Table>,
    /// Module name per table, same positions.
    pub modules: Vec<String>,
    /// `(table, column, enum name, variants, Rust ident)` per enum column.
    enums: Vec<EnumDef>,
}

struct EnumDef {
    /// The database enum name (`enum_name`); on MySQL, where enums have none, a
    /// name made from the table and column.
    name: String,
    variants: Vec<String>,
    ident: String,
}

impl Catalog<'_> {
    pub(crate) fn position(&self, table: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == table)
    }

    pub(crate) fn enum_ident(&self, table: &str, column: &Column) -> Option<syn::Ident> {
        let ColumnType::Enum { name, variants } = &column.ty else {
            return None;
        };
        let key = enum_key(table, column, name);
        self.enums
            .iter()
            .find(|e| e.name == key && &e.variants == variants)
            .map(|e| names::ident(&e.ident))
    }
}

fn enum_key(table: &str, column: &Column, name: &str) -> String {
    if name.is_empty() {
        format!("{table}_{}", column.name)
    } else {
        name.to_owned()
    }
}

/// Writes entity modules for every table of `schema` (an introspected database).
pub fn pull_entities(schema: &Schema) -> Result<Pulled, Error> {
    let tables: Vec<&Table> = schema.tables.iter().collect();
    let table_names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let modules = names::modules(&table_names);
    let mut enums: Vec<EnumDef> = Vec::new();
    for table in &tables {
        for column in &table.columns {
            let ColumnType::Enum { name, variants } = &column.ty else {
                continue;
            };
            let key = enum_key(&table.name, column, name);
            if enums
                .iter()
                .any(|e| e.name == key && &e.variants == variants)
            {
                continue;
            }
            let ident = names::unique(names::pascal(&key, "E"), "", |c| {
                enums.iter().any(|e| e.ident == c)
            });
            enums.push(EnumDef {
                name: key,
                variants: variants.clone(),
                ident,
            });
        }
    }
    let cat = Catalog {
        tables,
        modules,
        enums,
    };

    let mut pulled = Pulled::default();
    let mut table_files = Vec::new();
    for pos in 0..cat.tables.len() {
        let rendered = table::render(&cat, pos);
        let code = format(rendered.code, &cat.modules[pos])?;
        let header = table::header(cat.tables[pos], &rendered.notes);
        table_files.push(PulledFile {
            name: format!("{}.rs", cat.modules[pos]),
            contents: format!("{header}{code}"),
        });
        pulled.notes.extend(rendered.notes);
    }

    let mods = cat.modules.iter().map(|m| names::ident(m));
    let enums_mod = if cat.enums.is_empty() {
        quote!()
    } else {
        quote!(
            pub mod sea_orm_active_enums;
        )
    };
    pulled.files.push(PulledFile {
        name: "mod.rs".into(),
        contents: format!(
            "//! SeaORM entities written by `db-migrate pull`.\n\n{}",
            format(
                quote! { pub mod prelude; #enums_mod #(pub mod #mods;)* },
                "mod"
            )?
        ),
    });
    let mut aliases: Vec<String> = Vec::new();
    let prelude = cat.modules.iter().map(|m| {
        let alias = names::unique(names::pascal(m, "E"), "Entity", |c| {
            aliases.iter().any(|a| a == c)
        });
        aliases.push(alias.clone());
        let (m, alias) = (names::ident(m), names::ident(&alias));
        quote!(pub use super::#m::Entity as #alias;)
    });
    let prelude = quote!(#(#prelude)*);
    pulled.files.push(PulledFile {
        name: "prelude.rs".into(),
        contents: format!(
            "//! Every entity under its type name.\n\n{}",
            format(prelude, "prelude")?
        ),
    });
    if !cat.enums.is_empty() {
        pulled.files.push(PulledFile {
            name: "sea_orm_active_enums.rs".into(),
            contents: format!(
                "//! Enum types of the database, written by `db-migrate pull`.\n\n{}",
                format(active_enums(&cat.enums), "sea_orm_active_enums")?
            ),
        });
    }
    pulled.files.extend(table_files);
    Ok(pulled)
}

fn active_enums(enums: &[EnumDef]) -> TokenStream {
    let items = enums.iter().map(|e| {
        let mut idents: Vec<String> = Vec::new();
        let variants = e.variants.iter().map(|v| {
            let id = names::unique(names::pascal(v, "V"), "", |c| idents.iter().any(|x| x == c));
            idents.push(id.clone());
            let id = names::ident(&id);
            quote! { #[sea_orm(string_value = #v)] #id, }
        });
        let variants: Vec<TokenStream> = variants.collect();
        let (name, ident) = (&e.name, names::ident(&e.ident));
        quote! {
            #[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
            #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = #name)]
            pub enum #ident { #(#variants)* }
        }
    });
    quote! {
        use sea_orm::entity::prelude::*;
        #(#items)*
    }
}

fn format(tokens: TokenStream, what: &str) -> Result<String, Error> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| {
        Error::Render(format!(
            "entity module `{}` does not parse: {e}",
            visible(what)
        ))
    })?;
    Ok(spaced(&prettyplease::unparse(&file)))
}

/// prettyplease's output with a blank line after the imports and between items.
fn spaced(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + 64);
    let lines: Vec<&str> = code.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        let next = lines.get(i + 1).copied().unwrap_or("");
        let ends_item = *line == "}" || (line.starts_with("use ") && !next.starts_with("use "));
        if ends_item && !next.is_empty() {
            out.push('\n');
        }
    }
    out
}

/// Lines for the command output: one per note, made visible.
pub fn note_lines(notes: &[Note]) -> Vec<String> {
    notes
        .iter()
        .map(|n| match &n.table {
            Some(t) => format!("{}: {}", visible(t), visible(&n.text)),
            None => visible(&n.text).into_owned(),
        })
        .collect()
}
