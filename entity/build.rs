//! Generates `all_entities()`: every module declared in `src/lib.rs` whose file
//! derives `DeriveEntityModel` is listed, so adding an entity is only adding its
//! file and its `pub mod` line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let src = Path::new("src");
    println!("cargo:rerun-if-changed=src");
    let lib = read(&src.join("lib.rs"));
    let file = parse(&lib, "src/lib.rs");

    let mut modules = Vec::new();
    for item in &file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.content.is_some() || !matches!(module.vis, syn::Visibility::Public(_)) {
            continue;
        }
        let name = module.ident.to_string();
        let Some(path) = module_file(src, &name) else {
            continue;
        };
        if derives_entity_model(&parse(&read(&path), &path.display().to_string())) {
            modules.push(name);
        }
    }
    modules.sort();

    let mut out = String::from(
        "/// Schema statements of every entity in this crate, built for `schema`'s backend:\n\
         /// `(table, indexes, enum types)` per entity, in module-name order.\n\
         pub fn all_entities(schema: &::sea_orm::Schema) -> ::std::vec::Vec<crate::EntityStatements> {\n    vec![\n",
    );
    for m in &modules {
        writeln!(
            out,
            "        (schema.create_table_from_entity({m}::Entity), schema.create_index_from_entity({m}::Entity), schema.create_enum_from_entity({m}::Entity)),"
        )
        .expect("write to String");
    }
    out.push_str("    ]\n}\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
    std::fs::write(dest.join("all_entities.rs"), out).expect("write all_entities.rs");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn parse(text: &str, name: &str) -> syn::File {
    syn::parse_file(text).unwrap_or_else(|e| panic!("cannot parse {name}: {e}"))
}

fn module_file(src: &Path, name: &str) -> Option<PathBuf> {
    [
        src.join(format!("{name}.rs")),
        src.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn derives_entity_model(file: &syn::File) -> bool {
    file.items.iter().any(|item| {
        let attrs = match item {
            syn::Item::Struct(s) => &s.attrs,
            _ => return false,
        };
        attrs.iter().any(|attr| {
            attr.path().is_ident("derive")
                && attr
                    .parse_args_with(
                        syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                    )
                    .map(|paths| {
                        paths.iter().any(|p| {
                            p.segments
                                .last()
                                .is_some_and(|s| s.ident == "DeriveEntityModel")
                        })
                    })
                    .unwrap_or(false)
        })
    })
}
