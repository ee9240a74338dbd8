//! Plan nodes as Rust statements: sea-query builders through `SchemaManager`, our
//! runtime helpers, backend conditions and comments.

use proc_macro2::TokenStream;
use quote::quote;

use super::Ctx;
use super::column::{column_def, str_list};
use crate::dialect::Dialect;
use crate::ir::{FkAction, ForeignKey, Index, Table};
use crate::statements::{Node, Op, Placement, is_unique_constraint};

/// The statements of `nodes`, in order.
pub(super) fn nodes(ctx: &mut Ctx, nodes: &[Node]) -> TokenStream {
    let mut out = TokenStream::new();
    for node in nodes {
        out.extend(node_tokens(ctx, node));
    }
    out
}

fn node_tokens(ctx: &mut Ctx, node: &Node) -> TokenStream {
    match node {
        Node::Op(op) => op_tokens(ctx, op),
        Node::Comment(text) => ctx.comment(text),
        Node::If {
            dialect,
            then,
            otherwise,
        } => if_tokens(ctx, *dialect, then, otherwise),
    }
}

fn backend(ctx: &mut Ctx, dialect: Dialect) -> TokenStream {
    ctx.uses.db_backend = true;
    match dialect {
        Dialect::Sqlite => quote! { DbBackend::Sqlite },
        Dialect::Postgres => quote! { DbBackend::Postgres },
        Dialect::MySql => quote! { DbBackend::MySql },
    }
}

fn if_tokens(ctx: &mut Ctx, dialect: Dialect, then: &[Node], otherwise: &[Node]) -> TokenStream {
    if then.is_empty() && otherwise.is_empty() {
        return TokenStream::new();
    }
    ctx.uses.manager = true;
    let backend = backend(ctx, dialect);
    if then.is_empty() {
        let otherwise = nodes(ctx, otherwise);
        return quote! {
            if manager.get_database_backend() != #backend {
                #otherwise
            }
        };
    }
    let then = nodes(ctx, then);
    let otherwise = match otherwise {
        [] => TokenStream::new(),
        [nested @ Node::If { .. }] => {
            let nested = node_tokens(ctx, nested);
            quote! { else #nested }
        }
        otherwise => {
            let otherwise = nodes(ctx, otherwise);
            quote! { else { #otherwise } }
        }
    };
    quote! {
        if manager.get_database_backend() == #backend {
            #then
        } #otherwise
    }
}

fn helper(ctx: &mut Ctx, name: &str, args: TokenStream) -> TokenStream {
    ctx.uses.manager = true;
    let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
    quote! { schema_diff::runtime::#name(manager, #args).await?; }
}

/// `schema_diff::lint::Unfit::...`, as written in a generated module.
fn fit_tokens(fit: &crate::lint::Unfit) -> TokenStream {
    use crate::lint::Unfit;
    use proc_macro2::Literal;
    match fit {
        Unfit::Length(n) => {
            let n = Literal::u32_unsuffixed(*n);
            quote! { schema_diff::lint::Unfit::Length(#n) }
        }
        Unfit::Range { min, max, whole } => {
            let (min, max) = (
                Literal::i128_unsuffixed(*min),
                Literal::i128_unsuffixed(*max),
            );
            quote! { schema_diff::lint::Unfit::Range { min: #min, max: #max, whole: #whole } }
        }
        Unfit::Decimal {
            integer_digits,
            scale,
        } => {
            let (digits, scale) = (
                Literal::u32_unsuffixed(*integer_digits),
                Literal::u32_unsuffixed(*scale),
            );
            quote! {
                schema_diff::lint::Unfit::Decimal { integer_digits: #digits, scale: #scale }
            }
        }
        Unfit::Values(values) => {
            quote! { schema_diff::lint::Unfit::Values(vec![#(#values.to_owned()),*]) }
        }
    }
}

fn manager_call(ctx: &mut Ctx, method: &str, stmt: TokenStream) -> TokenStream {
    ctx.uses.manager = true;
    let method = proc_macro2::Ident::new(method, proc_macro2::Span::call_site());
    quote! { manager.#method(#stmt).await?; }
}

fn op_tokens(ctx: &mut Ctx, op: &Op) -> TokenStream {
    match op {
        Op::CreateTable(table) => {
            let stmt = create_table(ctx, table);
            manager_call(ctx, "create_table", stmt)
        }
        Op::DropTable(name) => {
            let t = ctx.names.table(name);
            manager_call(
                ctx,
                "drop_table",
                quote! { Table::drop().table(#t).to_owned() },
            )
        }
        Op::RenameTable { from, to } => {
            let (from, to) = (ctx.names.table(from), ctx.names.table(to));
            let stmt = quote! { Table::rename().table(#from, #to).to_owned() };
            manager_call(ctx, "rename_table", stmt)
        }
        Op::AddColumn { table, column } => {
            let def = column_def(ctx, table, column, false);
            alter(ctx, table, quote! { .add_column(#def) })
        }
        Op::DropColumn { table, column } => {
            let c = ctx.names.column(table, column);
            alter(ctx, table, quote! { .drop_column(#c) })
        }
        Op::RenameColumn { table, from, to } => {
            let (from, to) = (ctx.names.column(table, from), ctx.names.column(table, to));
            alter(ctx, table, quote! { .rename_column(#from, #to) })
        }
        Op::ModifyColumn {
            table,
            column,
            parts,
        } => {
            let def = super::column::modify_column_def(ctx, table, column, parts);
            alter(ctx, table, quote! { .modify_column(#def) })
        }
        Op::CreateIndex { table, index } => {
            let stmt = create_index(ctx, table, index);
            manager_call(ctx, "create_index", stmt)
        }
        Op::DropIndex { table, name } => {
            let t = ctx.names.table(table);
            let stmt = quote! { Index::drop().name(#name).table(#t).to_owned() };
            manager_call(ctx, "drop_index", stmt)
        }
        Op::AddUnique { table, index } => {
            let name = &index.name;
            let columns = &index.columns;
            helper(
                ctx,
                "add_unique_constraint",
                quote! { #table, #name, &[#(#columns),*] },
            )
        }
        Op::KeepForeignKeyIndexes { table, name } => {
            helper(ctx, "keep_foreign_key_indexes", quote! { #table, #name })
        }
        Op::RequireFit {
            table,
            column,
            new_type,
            fit,
        } => {
            let fit = fit_tokens(fit);
            helper(
                ctx,
                "require_values_fit",
                quote! { #table, #column, #new_type, #fit },
            )
        }
        Op::DropUnique { table, name } => {
            helper(ctx, "drop_unique_constraint", quote! { #table, #name })
        }
        Op::AddForeignKey { table, foreign_key } => {
            let fk = foreign_key_tokens(ctx, table, foreign_key);
            manager_call(ctx, "create_foreign_key", quote! { #fk.to_owned() })
        }
        Op::DropForeignKey { table, name } => {
            helper(ctx, "drop_foreign_key", quote! { #table, #name })
        }
        Op::ReplacePrimaryKey { table, columns } => helper(
            ctx,
            "replace_primary_key",
            quote! { #table, &[#(#columns),*] },
        ),
        Op::CreateEnum(enum_type) => {
            ctx.uses.pg_type = true;
            let name = ctx.names.enum_type(&enum_type.name);
            let values = str_list(&enum_type.values);
            let stmt = quote! { Type::create().as_enum(#name).values(#values).to_owned() };
            manager_call(ctx, "create_type", stmt)
        }
        Op::DropEnum(name) => {
            ctx.uses.pg_type = true;
            let name = ctx.names.enum_type(name);
            manager_call(
                ctx,
                "drop_type",
                quote! { Type::drop().name(#name).to_owned() },
            )
        }
        Op::AddEnumValue {
            name,
            value,
            placement,
        } => {
            ctx.uses.pg_type = true;
            let name = ctx.names.enum_type(name);
            let placement = match placement {
                Placement::Before(other) => quote! { .before(#other) },
                Placement::After(other) => quote! { .after(#other) },
                Placement::End => TokenStream::new(),
            };
            let stmt = quote! { Type::alter().name(#name).add_value(#value)#placement };
            manager_call(ctx, "alter_type", stmt)
        }
        Op::AlterMySqlEnumColumns { from, to } => helper(
            ctx,
            "alter_mysql_enum_columns",
            quote! { &[#(#from),*], &[#(#to),*] },
        ),
        Op::RecreateEnum(enum_type) => {
            let name = &enum_type.name;
            let values = &enum_type.values;
            helper(
                ctx,
                "recreate_postgres_enum",
                quote! { #name, &[#(#values),*] },
            )
        }
        Op::RebuildSqlite {
            table,
            copy_columns,
        } => {
            ctx.uses.manager = true;
            let create = create_table(ctx, table);
            let indexes: Vec<TokenStream> = table
                .indexes
                .iter()
                .filter(|i| !is_unique_constraint(i))
                .map(|index| create_index(ctx, &table.name, index))
                .collect();
            let indexes = if indexes.is_empty() {
                quote! { Vec::new() }
            } else {
                quote! { Vec::from([#(#indexes),*]) }
            };
            quote! {
                let table = #create;
                let indexes = #indexes;
                let columns = [#(#copy_columns),*];
                schema_diff::runtime::rebuild_sqlite_table(manager, table, indexes, &columns).await?;
            }
        }
        Op::CheckSqliteRebuilds {
            tables,
            referenced_by_migration,
        } => helper(
            ctx,
            "check_sqlite_rebuilds",
            quote! { &[#(#tables),*], &[#(#referenced_by_migration),*] },
        ),
        Op::Raw(sql) => {
            ctx.uses.manager = true;
            let sql = super::sql_literal(sql);
            quote! { manager.get_connection().execute_unprepared(#sql).await?; }
        }
        Op::Fail(message) => {
            quote! { return Err(DbErr::Migration(#message.to_owned())); }
        }
        Op::RequireBackends { backends, message } => {
            ctx.uses.manager = true;
            let condition = match backends.as_slice() {
                [single] => {
                    let single = backend(ctx, *single);
                    quote! { manager.get_database_backend() != #single }
                }
                several => {
                    let several: Vec<TokenStream> =
                        several.iter().map(|d| backend(ctx, *d)).collect();
                    quote! { !matches!(manager.get_database_backend(), #(#several)|*) }
                }
            };
            quote! {
                if #condition {
                    return Err(DbErr::Migration(#message.to_owned()));
                }
            }
        }
    }
}

fn alter(ctx: &mut Ctx, table: &str, option: TokenStream) -> TokenStream {
    let t = ctx.names.table(table);
    let stmt = quote! { Table::alter().table(#t)#option.to_owned() };
    manager_call(ctx, "alter_table", stmt)
}

/// `Table::create()...to_owned()`, as [`crate::statements::create_table`].
fn create_table(ctx: &mut Ctx, table: &Table) -> TokenStream {
    let t = ctx.names.table(&table.name);
    let mut stmt = quote! { Table::create().table(#t) };
    let inline_pk = match table.primary_key.as_slice() {
        [single] => Some(single.as_str()),
        _ => None,
    };
    for column in &table.columns {
        let pk = inline_pk == Some(column.name.as_str());
        let def = column_def(ctx, &table.name, column, pk);
        stmt.extend(quote! { .col(#def) });
    }
    if table.primary_key.len() > 1 {
        let cols: Vec<TokenStream> = table
            .primary_key
            .iter()
            .map(|c| ctx.names.column(&table.name, c))
            .collect();
        stmt.extend(quote! { .primary_key(Index::create()#(.col(#cols))*) });
    }
    for index in table.indexes.iter().filter(|i| is_unique_constraint(i)) {
        let name = &index.name;
        let cols: Vec<TokenStream> = index
            .columns
            .iter()
            .map(|c| ctx.names.column(&table.name, c))
            .collect();
        stmt.extend(quote! { .index(Index::create().name(#name)#(.col(#cols))*.unique()) });
    }
    for foreign_key in &table.foreign_keys {
        let fk = foreign_key_tokens(ctx, &table.name, foreign_key);
        stmt.extend(quote! { .foreign_key(#fk) });
    }
    for check in &table.checks {
        let expr = super::sql_literal(&check.expr);
        stmt.extend(match &check.name {
            Some(name) => quote! { .check((#name, Expr::cust(#expr))) },
            None => quote! { .check(Expr::cust(#expr)) },
        });
    }
    if let Some(comment) = &table.comment {
        stmt.extend(quote! { .comment(#comment) });
    }
    quote! { #stmt.to_owned() }
}

/// `Index::create().name(..).table(..).col(..)[.unique()].to_owned()`.
fn create_index(ctx: &mut Ctx, table: &str, index: &Index) -> TokenStream {
    let t = ctx.names.table(table);
    let name = &index.name;
    let cols: Vec<TokenStream> = index
        .columns
        .iter()
        .map(|c| ctx.names.column(table, c))
        .collect();
    let unique = if index.unique {
        quote! { .unique() }
    } else {
        TokenStream::new()
    };
    quote! { Index::create().name(#name).table(#t)#(.col(#cols))*#unique.to_owned() }
}

/// `ForeignKey::create().name(..).from(..).to(..).on_delete(..)` (no `.to_owned()`).
fn foreign_key_tokens(ctx: &mut Ctx, table: &str, fk: &ForeignKey) -> TokenStream {
    let name = match &fk.name {
        Some(name) => quote! { .name(#name) },
        None => TokenStream::new(),
    };
    let from = side(ctx, table, &fk.columns, "from");
    let to = side(ctx, &fk.ref_table, &fk.ref_columns, "to");
    let mut out = quote! { ForeignKey::create()#name #from #to };
    for (method, action) in [("on_delete", fk.on_delete), ("on_update", fk.on_update)] {
        if let Some(variant) = action_variant(action) {
            let method = proc_macro2::Ident::new(method, proc_macro2::Span::call_site());
            let variant = proc_macro2::Ident::new(variant, proc_macro2::Span::call_site());
            out.extend(quote! { .#method(ForeignKeyAction::#variant) });
        }
    }
    out
}

/// The `ForeignKeyAction` variant of an IR action, as [`crate::statements::fk_action`] maps it (`None`
/// for `NO ACTION`, left unsaid).
pub(super) fn action_variant(action: FkAction) -> Option<&'static str> {
    match action {
        FkAction::NoAction => None,
        FkAction::Restrict => Some("Restrict"),
        FkAction::Cascade => Some("Cascade"),
        FkAction::SetNull => Some("SetNull"),
        FkAction::SetDefault => Some("SetDefault"),
    }
}

/// `.from(T::Table, T::C)`, `.from(T::Table, (T::A, T::B))`, or for more than three
/// columns `.from_tbl(T::Table).from_col(..)...` (sea-query's tuples stop at three).
fn side(ctx: &mut Ctx, table: &str, columns: &[String], which: &str) -> TokenStream {
    let t = ctx.names.table(table);
    let cols: Vec<TokenStream> = columns.iter().map(|c| ctx.names.column(table, c)).collect();
    let ident = |s: String| proc_macro2::Ident::new(&s, proc_macro2::Span::call_site());
    let method = ident(which.to_owned());
    match cols.as_slice() {
        [single] => quote! { .#method(#t, #single) },
        [_, _] | [_, _, _] => quote! { .#method(#t, (#(#cols),*)) },
        _ => {
            let tbl = ident(format!("{which}_tbl"));
            let col = ident(format!("{which}_col"));
            quote! { .#tbl(#t)#(.#col(#cols))* }
        }
    }
}
