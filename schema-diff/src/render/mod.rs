//! Render: `Vec<Change>` → a complete, formatted Rust migration module for the
//! `migration` crate.
//!
//! The module is built with `quote!` and formatted with `prettyplease` (deterministic,
//! no rustfmt subprocess). `up` performs the changes, `down` performs
//! [`crate::reverse::reverse_all`] of them. Both print the same plan that
//! [`crate::statements::apply`] executes, so a rendered module and `apply` run the same
//! statements on every backend.
//!
//! The file starts with `#![cfg_attr(rustfmt, rustfmt::skip)]`: its layout is
//! prettyplease's, which `cargo fmt --check` would otherwise flag.
//!
//! Comments: `prettyplease` prints no `//` comments, so the renderer emits a marker
//! statement `__comment!(N);` wherever a comment belongs and replaces each marker line
//! of the formatted text by the `// ...` lines of comment `N`, at the marker's
//! indentation.

mod column;
mod idents;
mod ops;
mod summary;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::display::{needs_escape, visible};
use crate::statements::plan_for;
use crate::{Change, Error};
use idents::Names;

/// What the renderer writes besides the changes themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// The migration's description, the first line of the module's doc comment.
    pub description: String,
    /// Hazard lines (from the lint), written as comments at the top of `up`; may be
    /// empty.
    pub hazards: Vec<String>,
    /// The backends the module is rendered for (default: all three). For a subset,
    /// the module holds only their statements and refuses to run anywhere else.
    pub backends: crate::Backends,
}

/// The longest line the renderer writes comments up to (prettyplease's margin).
const LINE_WIDTH: usize = 100;

/// What the module's `use` line must import.
#[derive(Debug, Default)]
struct Uses {
    /// `sea_orm::DbBackend`, for backend conditions.
    db_backend: bool,
    /// `sea_query::extension::postgres::Type`, for enum types.
    pg_type: bool,
    /// Whether the function being rendered uses its `manager` argument.
    manager: bool,
}

/// Rendering state: identifiers handed out, comments collected, imports needed.
struct Ctx {
    names: Names,
    comments: Vec<String>,
    uses: Uses,
}

impl Ctx {
    /// A marker statement that becomes the `//` comment `text`.
    fn comment(&mut self, text: &str) -> TokenStream {
        let n = Literal::usize_unsuffixed(self.comments.len());
        self.comments.push(text.to_owned());
        quote! { __comment!(#n); }
    }
}

/// A string literal for SQL text: a raw string (`r#"..."#`) when the SQL holds double
/// quotes, so that it reads as written; an escaped literal otherwise.
fn sql_literal(sql: &str) -> TokenStream {
    // A raw string cannot spell a control character (a bare CR is an error), and
    // rustc rejects direction overrides in literals: those take an escaped literal.
    if (!sql.contains('"') && !sql.contains('\\')) || sql.chars().any(needs_escape) {
        return quote! { #sql };
    }
    let hashes = (1..)
        .map(|n| "#".repeat(n))
        .find(|h| !sql.contains(&format!("\"{h}")))
        .unwrap_or_default();
    format!("r{hashes}\"{sql}\"{hashes}")
        .parse::<TokenStream>()
        .unwrap_or_else(|_| quote! { #sql })
}

/// Renders `changes` as a migration module: `up` performs them in order and `down`
/// performs their reversal. The result is formatted Rust that compiles in a crate
/// depending on `sea-orm-migration` and `schema-diff`, with no clippy warnings.
pub fn render_migration(changes: &[Change], options: &RenderOptions) -> Result<String, Error> {
    crate::sql_text::check_changes(changes)?;
    let mut ctx = Ctx {
        names: Names::default(),
        comments: Vec::new(),
        uses: Uses::default(),
    };

    let mut up = TokenStream::new();
    for hazard in &options.hazards {
        up.extend(ctx.comment(hazard));
    }
    up.extend(ops::nodes(&mut ctx, &plan_for(changes, options.backends)));
    let up_manager = manager_param(std::mem::take(&mut ctx.uses.manager));

    let down_changes = crate::reverse::reverse_all(changes);
    let down = ops::nodes(&mut ctx, &plan_for(&down_changes, options.backends));
    let down_manager = manager_param(ctx.uses.manager);

    let mut imports = vec![quote! { prelude::* }];
    if ctx.uses.db_backend {
        imports.push(quote! { sea_orm::DbBackend });
    }
    if ctx.uses.pg_type {
        imports.push(quote! { sea_query::extension::postgres::Type });
    }
    let idents = ctx.names.items();

    let file = quote! {
        use sea_orm_migration::{#(#imports),*};

        #[derive(DeriveMigrationName)]
        pub struct Migration;

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, #up_manager: &SchemaManager) -> Result<(), DbErr> {
                #up
                Ok(())
            }

            async fn down(&self, #down_manager: &SchemaManager) -> Result<(), DbErr> {
                #down
                Ok(())
            }
        }

        #idents
    };
    let syntax: syn::File = syn::parse2(file)
        .map_err(|e| Error::Render(format!("generated code does not parse: {e}")))?;
    let code = prettyplease::unparse(&syntax);
    let code = replace_comment_markers(&code, &ctx.comments)?;

    let mut out = header(changes, options);
    // prettyplease's layout is not rustfmt's: keep `cargo fmt --check` from flagging
    // (and `cargo fmt` from rewriting) the generated file. The attribute is gone when
    // compiling (`cfg(rustfmt)` is only set for rustfmt).
    out.push_str("\n#![cfg_attr(rustfmt, rustfmt::skip)]\n\n");
    out.push_str(&add_blank_lines(&code));
    Ok(out)
}

fn manager_param(used: bool) -> TokenStream {
    if used {
        quote! { manager }
    } else {
        quote! { _manager }
    }
}

/// The `//!` doc comment: the description, then the changes. Every line goes through
/// [`visible`], so no text can end the comment or hide in it.
fn header(changes: &[Change], options: &RenderOptions) -> String {
    let mut lines: Vec<String> = options
        .description
        .lines()
        .map(str::trim_end)
        .map(str::to_owned)
        .collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    if lines.is_empty() {
        lines.push("Schema migration.".to_owned());
    }
    lines.push(String::new());
    if changes.is_empty() {
        lines.push("No schema changes.".to_owned());
    } else {
        lines.push("Changes:".to_owned());
        lines.push(String::new());
        if options.backends.contains(crate::Dialect::Sqlite) {
            lines.extend(summary::summary(changes));
        } else {
            // Without SQLite, no table is rebuilt: the changes a rebuild groups are
            // listed as what they are.
            let flat: Vec<Change> = crate::change::as_run_on(changes, crate::Dialect::Postgres)
                .into_iter()
                .cloned()
                .collect();
            lines.extend(summary::summary(&flat));
        }
        if !options.backends.is_all() {
            lines.push(String::new());
            lines.push(format!(
                "Rendered for {} only (`backends = {}` in db-migrate.toml).",
                options.backends,
                options.backends.config_list()
            ));
        }
    }
    let mut out = String::new();
    for line in lines {
        if line.is_empty() {
            out.push_str("//!\n");
        } else {
            out.push_str(&format!("//! {}\n", visible(&line)));
        }
    }
    out
}

/// Replaces each `__comment!(N);` line by the `//` lines of comment `N`.
fn replace_comment_markers(code: &str, comments: &[String]) -> Result<String, Error> {
    let mut out = String::with_capacity(code.len());
    for line in code.lines() {
        let trimmed = line.trim_start();
        let marker = trimmed
            .strip_prefix("__comment!(")
            .and_then(|rest| rest.strip_suffix(");"));
        match marker {
            Some(n) => {
                let text = n
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| comments.get(n))
                    .ok_or_else(|| Error::Render(format!("unknown comment marker `{trimmed}`")))?;
                let indent = &line[..line.len() - trimmed.len()];
                let width = LINE_WIDTH.saturating_sub(indent.len() + 3).max(40);
                for comment_line in wrap(text, width) {
                    if comment_line.is_empty() {
                        out.push_str(&format!("{indent}//\n"));
                    } else {
                        out.push_str(&format!("{indent}// {}\n", visible(&comment_line)));
                    }
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// Blank lines between top-level items and between the two trait methods, which
/// prettyplease does not keep.
fn add_blank_lines(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + 64);
    let mut previous = "";
    for line in code.lines() {
        let starts_item = line.starts_with("#[derive")
            || line.starts_with("#[async_trait")
            || line.starts_with("    async fn down");
        let after_item_end =
            previous == "}" || (previous.ends_with(';') && !previous.starts_with(' '));
        if starts_item && !previous.is_empty() && (after_item_end || line.starts_with("    async"))
        {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

/// `text` split into lines of at most `width` characters at spaces (explicit line breaks
/// kept; a longer word stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

#[cfg(test)]
mod adoption_backends_tests;
#[cfg(test)]
mod tests;
