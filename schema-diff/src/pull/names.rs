//! ASCII Rust identifiers for database names: module and field names in
//! snake_case, types and variants in PascalCase. The exact database name is always
//! kept beside them as a string literal (`table_name`, `column_name`,
//! `string_value`, `enum_name`), so an identifier only has to be valid and unique.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span};

/// Module names the generated directory uses itself.
const RESERVED_MODULES: &[&str] = &["mod", "prelude", "sea_orm_active_enums", "lib"];

/// `name` in snake_case, ASCII letters, digits and `_` only, starting with a letter
/// (`prefix` + name otherwise).
pub(crate) fn snake(name: &str, prefix: &str) -> String {
    let s: String = name
        .to_snake_case()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let s = s.trim_matches('_').to_owned();
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("{prefix}{s}")
    } else {
        s
    }
}

/// `name` in PascalCase, ASCII letters and digits only, starting with a letter.
pub(crate) fn pascal(name: &str, prefix: &str) -> String {
    let s: String = name
        .to_upper_camel_case()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("{prefix}{s}")
    } else {
        s
    }
}

/// Whether `s` is usable as a plain (non-raw) identifier.
pub(crate) fn is_ident(s: &str) -> bool {
    syn::parse_str::<Ident>(s).is_ok() && s != "Self" && s != "self"
}

/// `base`, or `base` + `_N` / `N`, whichever is a free identifier first.
pub(crate) fn unique(base: String, sep: &str, taken: impl Fn(&str) -> bool) -> String {
    let ok = |c: &str| is_ident(c) && !taken(c);
    if ok(&base) {
        return base;
    }
    (1u32..)
        .map(|n| format!("{base}{sep}{n}"))
        .find(|c| ok(c))
        .unwrap_or(base)
}

/// A module name per table, in the order given.
pub(crate) fn modules(tables: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for table in tables {
        let base = snake(table, "t_");
        let name = unique(base, "_", |c| {
            RESERVED_MODULES.contains(&c) || out.iter().any(|m| m == c)
        });
        out.push(name);
    }
    out
}

/// `(field name, Column variant)` per column: unique after SeaORM turns the field
/// name into a `Column` variant (UpperCamelCase).
pub(crate) fn fields(columns: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for column in columns {
        let base = snake(column, "c_");
        let name = unique(base, "_", |c| {
            let variant = c.to_upper_camel_case();
            // `Table` is not a column variant, but keep clear of SeaORM's own items.
            variant == "Table" || out.iter().any(|(f, v)| f == c || *v == variant)
        });
        let variant = name.to_upper_camel_case();
        out.push((name, variant));
    }
    out
}

/// An identifier token for a name made by this module.
pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_ascii_and_unique() {
        assert_eq!(
            modules(&["Artist", "artist", "mod", "9lives", "名前"]),
            ["artist", "artist_1", "mod_1", "t_9lives", "t_"]
        );
        let f = fields(&["type", "Type", "a b", "self", "ab"]);
        let names: Vec<_> = f.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["type_1", "type_2", "a_b", "self_1", "ab"]);
    }
}
