//! Rust names for database names: one `#[derive(DeriveIden)]` enum per table
//! (`Users::Table`, `Users::Email`) and one unit struct per PostgreSQL enum type.
//!
//! Names are handed out on first use, so the generated items hold exactly the
//! identifiers the migration uses. `DeriveIden` spells a variant `snake_case(Variant)`
//! (the `Table` variant: `snake_case(Enum)`); whenever that is not the database name
//! exactly, the variant gets `#[sea_orm(iden = "exact")]`.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// Names the generated module already uses for something else.
const RESERVED: &[&str] = &[
    "Alias",
    "ColumnDef",
    "ColumnType",
    "DbBackend",
    "DbErr",
    "DeriveIden",
    "DeriveMigrationName",
    "Err",
    "Expr",
    "ForeignKey",
    "ForeignKeyAction",
    "Iden",
    "Index",
    "Migration",
    "MigrationTrait",
    "Ok",
    "Option",
    "Result",
    "SchemaManager",
    "Self",
    "Some",
    "None",
    "String",
    "StringLen",
    "Table",
    "Type",
    "Vec",
];

/// One generated identifier and the database name it stands for.
#[derive(Clone, Debug)]
struct Named {
    name: String,
    ident: String,
}

impl Named {
    /// `#[sea_orm(iden = "...")]` when `DeriveIden` would spell `ident` differently.
    fn iden_attr(&self, derived_from: &str) -> TokenStream {
        if derived_from.to_snake_case() == self.name {
            TokenStream::new()
        } else {
            let name = &self.name;
            quote! { #[sea_orm(iden = #name)] }
        }
    }
}

#[derive(Debug, Default)]
struct TableNames {
    table: Option<Named>,
    columns: Vec<Named>,
}

/// The identifiers a module uses, allocated on first use.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Tables in first-use order, each with its columns in first-use order.
    tables: Vec<TableNames>,
    /// PostgreSQL enum types.
    enums: Vec<Named>,
}

impl Names {
    fn taken(&self, ident: &str) -> bool {
        RESERVED.contains(&ident)
            || self
                .tables
                .iter()
                .filter_map(|t| t.table.as_ref())
                .any(|t| t.ident == ident)
            || self.enums.iter().any(|e| e.ident == ident)
    }

    fn table_entry(&mut self, table: &str) -> usize {
        if let Some(i) = self
            .tables
            .iter()
            .position(|t| t.table.as_ref().is_some_and(|n| n.name == table))
        {
            return i;
        }
        let ident = unique(pascal(table, "Table"), "Iden", |c| self.taken(c));
        self.tables.push(TableNames {
            table: Some(Named {
                name: table.to_owned(),
                ident,
            }),
            columns: Vec::new(),
        });
        self.tables.len() - 1
    }

    /// `Users::Table`.
    pub(crate) fn table(&mut self, table: &str) -> TokenStream {
        let i = self.table_entry(table);
        let enum_ident = ident(self.tables[i].table.as_ref().map_or("", |t| &t.ident));
        quote! { #enum_ident::Table }
    }

    /// `Users::Email`.
    pub(crate) fn column(&mut self, table: &str, column: &str) -> TokenStream {
        let i = self.table_entry(table);
        let entry = &mut self.tables[i];
        let variant = match entry.columns.iter().find(|c| c.name == column) {
            Some(named) => named.ident.clone(),
            None => {
                let variant = unique(pascal(column, "Column"), "Column", |c| {
                    c == "Table" || c == "Self" || entry.columns.iter().any(|n| n.ident == c)
                });
                entry.columns.push(Named {
                    name: column.to_owned(),
                    ident: variant.clone(),
                });
                variant
            }
        };
        let enum_ident = ident(entry.table.as_ref().map_or("", |t| &t.ident));
        let variant = ident(&variant);
        quote! { #enum_ident::#variant }
    }

    /// `Status`, the unit struct naming a PostgreSQL enum type.
    pub(crate) fn enum_type(&mut self, name: &str) -> TokenStream {
        let found = self
            .enums
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.ident.clone());
        let found = match found {
            Some(found) => found,
            None => {
                let new = unique(pascal(name, "Enum"), "Enum", |c| self.taken(c));
                self.enums.push(Named {
                    name: name.to_owned(),
                    ident: new.clone(),
                });
                new
            }
        };
        let found = ident(&found);
        quote! { #found }
    }

    /// The `#[derive(DeriveIden)]` items for every name handed out.
    pub(crate) fn items(&self) -> TokenStream {
        let mut items = TokenStream::new();
        for table in &self.tables {
            let Some(named) = &table.table else { continue };
            let enum_ident = ident(&named.ident);
            let table_attr = named.iden_attr(&named.ident);
            let variants = table.columns.iter().map(|c| {
                let attr = c.iden_attr(&c.ident);
                let variant = ident(&c.ident);
                quote! { #attr #variant }
            });
            let allow = if lints_variant_names(&named.ident, &table.columns) {
                quote! { #[allow(clippy::enum_variant_names)] }
            } else {
                TokenStream::new()
            };
            items.extend(quote! {
                #[derive(DeriveIden)]
                #allow
                enum #enum_ident {
                    #table_attr
                    Table,
                    #(#variants,)*
                }
            });
        }
        for named in &self.enums {
            let struct_ident = ident(&named.ident);
            let attr = named.iden_attr(&named.ident);
            items.extend(quote! {
                #[derive(DeriveIden)]
                #attr
                struct #struct_ident;
            });
        }
        items
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// `name` in PascalCase, as an ASCII Rust identifier (prefixed with `prefix` when it
/// would be empty or start with a digit).
fn pascal(name: &str, prefix: &str) -> String {
    let camel: String = name
        .to_upper_camel_case()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if camel.is_empty() || camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{prefix}{camel}")
    } else {
        camel
    }
}

/// `base`, or `base` + `suffix`, or that with a number, whichever is free and a valid
/// identifier first.
fn unique(base: String, suffix: &str, taken: impl Fn(&str) -> bool) -> String {
    let ok = |c: &str| !taken(c) && syn::parse_str::<syn::Ident>(c).is_ok();
    if ok(&base) {
        return base;
    }
    let suffixed = format!("{base}{suffix}");
    if ok(&suffixed) {
        return suffixed;
    }
    (2u32..)
        .map(|n| format!("{suffixed}{n}"))
        .find(|c| ok(c))
        .unwrap_or(suffixed)
}

/// Whether clippy's `enum_variant_names` would fire on this enum: a variant starting or
/// ending with the enum's name, or all variants (`Table` included) sharing their first
/// or last camel-case word.
fn lints_variant_names(enum_ident: &str, columns: &[Named]) -> bool {
    let repeats = columns.iter().any(|c| {
        let v = c.ident.as_str();
        (v.len() > enum_ident.len()
            && v.starts_with(enum_ident)
            && v[enum_ident.len()..].starts_with(|ch: char| !ch.is_lowercase()))
            || (v.len() > enum_ident.len() && v.ends_with(enum_ident))
    });
    let mut all = vec!["Table"];
    all.extend(columns.iter().map(|c| c.ident.as_str()));
    let first = |v: &str| camel_words(v).first().cloned();
    let last = |v: &str| camel_words(v).last().cloned();
    let shared = |word: &dyn Fn(&str) -> Option<String>| {
        let w = word(all[0]);
        all.len() >= 3 && all.iter().all(|v| word(v) == w)
    };
    repeats || shared(&first) || shared(&last)
}

fn camel_words(ident: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for ch in ident.chars() {
        match words.last_mut() {
            Some(word) if !ch.is_uppercase() => word.push(ch),
            _ => words.push(ch.to_string()),
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(names: &Names) -> String {
        names.items().to_string()
    }

    #[test]
    fn plain_names_need_no_attribute() {
        let mut names = Names::default();
        assert_eq!(names.table("users").to_string(), "Users :: Table");
        assert_eq!(names.column("users", "email").to_string(), "Users :: Email");
        assert_eq!(
            names.column("users", "created_at").to_string(),
            "Users :: CreatedAt"
        );
        assert!(!render(&names).contains("iden"));
    }

    #[test]
    fn unusual_names_get_the_exact_name() {
        let mut names = Names::default();
        assert_eq!(
            names.column("users", "userID").to_string(),
            "Users :: UserId"
        );
        assert_eq!(
            names.column("users", "table").to_string(),
            "Users :: TableColumn"
        );
        assert_eq!(
            names.column("users", "2fa").to_string(),
            "Users :: Column2fa"
        );
        assert_eq!(
            names.column("users", "user_id").to_string(),
            "Users :: UserIdColumn"
        );
        let items = render(&names);
        assert!(
            items.contains("# [sea_orm (iden = \"userID\")] UserId"),
            "{items}"
        );
        assert!(
            items.contains("# [sea_orm (iden = \"table\")] TableColumn"),
            "{items}"
        );
        assert!(
            items.contains("# [sea_orm (iden = \"2fa\")] Column2fa"),
            "{items}"
        );
        assert!(
            items.contains("# [sea_orm (iden = \"user_id\")] UserIdColumn"),
            "{items}"
        );
    }

    #[test]
    fn tables_avoid_the_names_the_module_uses() {
        let mut names = Names::default();
        assert_eq!(names.table("table").to_string(), "TableIden :: Table");
        assert_eq!(names.table("index").to_string(), "IndexIden :: Table");
        assert_eq!(names.enum_type("status").to_string(), "Status");
        assert_eq!(names.table("status").to_string(), "StatusIden :: Table");
        let items = render(&names);
        assert!(
            items.contains("# [sea_orm (iden = \"table\")] Table"),
            "{items}"
        );
        assert!(items.contains("struct Status ;"), "{items}");
    }

    #[test]
    fn repeated_enum_names_allow_the_clippy_lint() {
        let mut names = Names::default();
        names.column("user", "user_name");
        names.column("posts", "title");
        let items = render(&names);
        assert_eq!(items.matches("enum_variant_names").count(), 1, "{items}");
    }
}
