//! The convergence cases: every kind of change, alone and combined. Each runs
//! unchanged on every backend in [`crate::Backend::ALL`].

use schema_diff::ir::{ColumnType as T, DefaultValue, FkAction, Schema};

use crate::build::*;
use crate::converge::Case;

fn users() -> schema_diff::ir::Table {
    table("users")
        .with(col("email", T::String(Some(100))))
        .with(col("name", T::String(Some(50))).null())
}

const SEED_USERS: &str =
    "INSERT INTO users (email, name) VALUES ('a@x.io', 'Ann'), ('b@x.io', NULL), ('c@x.io', 'Cy')";

fn posts_without_fk() -> schema_diff::ir::Table {
    table("posts")
        .with(col("user_id", T::Integer))
        .with(col("title", T::String(Some(200))))
}

fn posts() -> schema_diff::ir::Table {
    posts_without_fk().fk(&["user_id"], "users", &["id"], FkAction::Cascade)
}

const SEED_POSTS: &str =
    "INSERT INTO posts (user_id, title) VALUES (1, 'first'), (1, 'second'), (3, 'third')";

fn case(
    name: &'static str,
    a: Schema,
    b: Schema,
    seed: Vec<&'static str>,
    expect: Vec<&'static str>,
) -> Case {
    Case {
        name,
        a,
        b,
        seed,
        expect,
    }
}

/// Every case of the suite.
pub fn all() -> Vec<Case> {
    vec![
        case(
            "create_table",
            schema(vec![users()]),
            schema(vec![users(), posts()]),
            vec![SEED_USERS],
            vec!["create_table"],
        ),
        case(
            "drop_table",
            schema(vec![
                users(),
                table("old_things").with(col("label", T::Text)),
            ]),
            schema(vec![users()]),
            vec![SEED_USERS, "INSERT INTO old_things (label) VALUES ('x')"],
            vec!["drop_table"],
        ),
        case(
            "rename_table",
            schema(vec![users(), table("people").with(col("label", T::Text))]),
            schema(vec![
                users(),
                table("persons")
                    .with(col("label", T::Text))
                    .renamed_from("people"),
            ]),
            vec![SEED_USERS, "INSERT INTO people (label) VALUES ('x'), ('y')"],
            vec!["rename_table"],
        ),
        case(
            "add_nullable_column",
            schema(vec![users()]),
            schema(vec![users().with(col("bio", T::Text).null())]),
            vec![SEED_USERS],
            vec!["add_column"],
        ),
        case(
            "add_not_null_column_with_default",
            schema(vec![users()]),
            schema(vec![
                users().with(col("score", T::Integer).default(number_default(7))),
            ]),
            vec![SEED_USERS],
            vec!["add_column"],
        ),
        case(
            "drop_column",
            schema(vec![users().with(col("legacy", T::Text).null())]),
            schema(vec![users()]),
            vec!["INSERT INTO users (email, legacy) VALUES ('a@x.io', 'old')"],
            vec!["drop_column"],
        ),
        case(
            "rename_column",
            schema(vec![users()]),
            schema(vec![
                table("users")
                    .with(col("email_address", T::String(Some(100))).renamed_from("email"))
                    .with(col("name", T::String(Some(50))).null()),
            ]),
            vec![SEED_USERS],
            vec!["rename_column"],
        ),
        case(
            "widen_varchar",
            schema(vec![users()]),
            schema(vec![
                table("users")
                    .with(col("email", T::String(Some(255))))
                    .with(col("name", T::String(Some(50))).null()),
            ]),
            vec![SEED_USERS],
            vec!["alter_column"],
        ),
        case(
            "integer_to_text",
            schema(vec![table("counters").with(col("value", T::Integer))]),
            schema(vec![table("counters").with(col("value", T::Text))]),
            vec!["INSERT INTO counters (value) VALUES (1), (22)"],
            vec!["alter_column"],
        ),
        case(
            "decimal_precision",
            schema(vec![
                table("prices").with(col("amount", T::Decimal(Some((10, 2))))),
            ]),
            schema(vec![
                table("prices").with(col("amount", T::Decimal(Some((12, 4))))),
            ]),
            vec!["INSERT INTO prices (amount) VALUES (1.5), (20.25)"],
            vec!["alter_column"],
        ),
        case(
            "make_not_null",
            schema(vec![users()]),
            schema(vec![
                table("users")
                    .with(col("email", T::String(Some(100))))
                    .with(col("name", T::String(Some(50)))),
            ]),
            vec!["INSERT INTO users (email, name) VALUES ('a@x.io', 'Ann'), ('b@x.io', 'Bo')"],
            vec!["alter_column"],
        ),
        case(
            "make_nullable",
            schema(vec![users()]),
            schema(vec![
                table("users")
                    .with(col("email", T::String(Some(100))).null())
                    .with(col("name", T::String(Some(50))).null()),
            ]),
            vec![SEED_USERS],
            vec!["alter_column"],
        ),
        case(
            "add_default",
            schema(vec![users()]),
            schema(vec![
                table("users")
                    .with(col("email", T::String(Some(100))))
                    .with(
                        col("name", T::String(Some(50)))
                            .null()
                            .default(text_default("anon")),
                    ),
            ]),
            vec![SEED_USERS],
            vec!["alter_column"],
        ),
        case(
            "change_default",
            schema(vec![
                table("flags").with(col("level", T::Integer).default(number_default(1))),
            ]),
            schema(vec![
                table("flags").with(col("level", T::Integer).default(number_default(5))),
            ]),
            vec!["INSERT INTO flags (level) VALUES (3)"],
            vec!["alter_column"],
        ),
        case(
            "drop_default",
            schema(vec![table("flags").with(
                col("enabled", T::Boolean).default(DefaultValue::Bool(true)),
            )]),
            schema(vec![table("flags").with(col("enabled", T::Boolean))]),
            vec!["INSERT INTO flags (id) VALUES (1)"],
            vec!["alter_column"],
        ),
        case(
            "add_index",
            schema(vec![users()]),
            schema(vec![users().index("idx-users-name", &["name"])]),
            vec![SEED_USERS],
            vec!["create_index"],
        ),
        case(
            "drop_index",
            schema(vec![users().index("idx-users-name", &["name"])]),
            schema(vec![users()]),
            vec![SEED_USERS],
            vec!["drop_index"],
        ),
        case(
            "add_unique_index",
            schema(vec![users()]),
            schema(vec![users().unique_index("idx-users-email", &["email"])]),
            vec![SEED_USERS],
            vec!["create_index"],
        ),
        case(
            "add_composite_unique",
            schema(vec![users()]),
            schema(vec![
                users().unique_index("idx-users-email-name", &["email", "name"]),
            ]),
            vec![SEED_USERS],
            vec!["create_index"],
        ),
        case(
            "drop_unique_constraint",
            schema(vec![
                users().unique_constraint("users_email_key", &["email"]),
            ]),
            schema(vec![users()]),
            vec![SEED_USERS],
            vec!["drop_index"],
        ),
        case(
            "add_foreign_key",
            schema(vec![users(), posts_without_fk()]),
            schema(vec![users(), posts()]),
            vec![SEED_USERS, SEED_POSTS],
            vec!["add_foreign_key"],
        ),
        case(
            "drop_foreign_key",
            schema(vec![users(), posts()]),
            schema(vec![users(), posts_without_fk()]),
            vec![SEED_USERS, SEED_POSTS],
            vec!["drop_foreign_key"],
        ),
        case(
            "change_foreign_key_action",
            schema(vec![users(), posts()]),
            schema(vec![
                users(),
                table("posts")
                    .with(col("user_id", T::Integer))
                    .with(col("title", T::String(Some(200))))
                    .fk(&["user_id"], "users", &["id"], FkAction::Restrict),
            ]),
            vec![SEED_USERS, SEED_POSTS],
            vec!["drop_foreign_key", "add_foreign_key"],
        ),
        case(
            "change_primary_key",
            schema(vec![
                bare_table("memberships")
                    .with(col("group_id", T::Integer))
                    .with(col("user_id", T::Integer))
                    .pk(&["group_id"]),
            ]),
            schema(vec![
                bare_table("memberships")
                    .with(col("group_id", T::Integer))
                    .with(col("user_id", T::Integer))
                    .pk(&["group_id", "user_id"]),
            ]),
            vec!["INSERT INTO memberships (group_id, user_id) VALUES (1, 1), (2, 1)"],
            vec!["alter_primary_key"],
        ),
        case(
            "rebuild_parent_keeps_child_rows",
            schema(vec![users(), posts()]),
            schema(vec![
                table("users")
                    .with(col("email", T::String(Some(100))))
                    .with(col("name", T::String(Some(50)))),
                posts(),
            ]),
            vec![
                "INSERT INTO users (email, name) VALUES ('a@x.io', 'Ann'), ('b@x.io', 'Bo'), ('c@x.io', 'Cy')",
                SEED_POSTS,
            ],
            vec!["alter_column"],
        ),
        case(
            "enum_column",
            schema(vec![users()]),
            schema(vec![
                users().with(
                    col(
                        "role",
                        T::Enum {
                            name: "user_role".into(),
                            variants: vec!["admin".into(), "member".into()],
                        },
                    )
                    .default(text_default("member")),
                ),
            ]),
            vec![SEED_USERS],
            vec!["add_column"],
        ),
        case(
            "new_table_referencing_existing_plus_column_and_index",
            schema(vec![users()]),
            schema(vec![
                users()
                    .with(col("bio", T::Text).null())
                    .index("idx-users-name", &["name"]),
                posts(),
            ]),
            vec![SEED_USERS],
            vec!["create_table", "add_column", "create_index"],
        ),
        case(
            "rename_and_retype_in_one_table",
            schema(vec![users()]),
            schema(vec![
                table("users")
                    .with(col("email", T::String(Some(100))))
                    .with(
                        col("full_name", T::String(Some(120)))
                            .null()
                            .renamed_from("name"),
                    ),
            ]),
            vec![SEED_USERS],
            vec!["rename_column", "alter_column"],
        ),
        case(
            "drop_child_and_parent_tables",
            schema(vec![
                users(),
                posts(),
                table("keep").with(col("x", T::Integer)),
            ]),
            schema(vec![table("keep").with(col("x", T::Integer))]),
            vec![SEED_USERS, SEED_POSTS, "INSERT INTO keep (x) VALUES (1)"],
            vec!["drop_table"],
        ),
        case(
            "add_column_with_foreign_key",
            schema(vec![users(), table("notes").with(col("body", T::Text))]),
            schema(vec![
                users(),
                table("notes")
                    .with(col("body", T::Text))
                    .with(col("author_id", T::Integer).null())
                    .fk(&["author_id"], "users", &["id"], FkAction::SetNull),
            ]),
            vec![SEED_USERS, "INSERT INTO notes (body) VALUES ('n1'), ('n2')"],
            vec!["add_column", "add_foreign_key"],
        ),
        case(
            "many_types_table_created",
            schema(vec![users()]),
            schema(vec![
                users(),
                table("kitchen")
                    .with(col("c", T::Char(Some(3))))
                    .with(col("t", T::Text))
                    .with(col("small", T::SmallInteger))
                    .with(col("big", T::BigInteger))
                    .with(col("f", T::Double).null())
                    .with(col("d", T::Decimal(Some((8, 3)))).null())
                    .with(col("b", T::Boolean).default(DefaultValue::Bool(false)))
                    .with(
                        col("at", T::TimestampWithTimeZone).default(DefaultValue::CurrentTimestamp),
                    )
                    .with(col("dt", T::DateTime).null())
                    .with(col("day", T::Date).null())
                    .with(col("j", T::Json).null())
                    .with(col("u", T::Uuid).null())
                    .with(col("bin", T::Blob).null()),
            ]),
            vec![SEED_USERS],
            vec!["create_table"],
        ),
        case(
            // MySQL drops the index it made for a foreign key once another index
            // can serve the key, and refuses to drop the last one: the index under
            // the key is replaced create-first in both directions.
            "replace_foreign_key_index_with_composite_unique",
            schema(vec![
                users(),
                posts().index("posts_user_id_idx", &["user_id"]),
            ]),
            schema(vec![
                users(),
                posts().unique_index("posts_user_id_title_key", &["user_id", "title"]),
            ]),
            vec![SEED_USERS, SEED_POSTS],
            vec!["create_index", "drop_index"],
        ),
        case(
            "unique_under_foreign_key_replaced_by_plain_index",
            schema(vec![
                users(),
                posts().unique_index("posts_user_id_title_key", &["user_id", "title"]),
            ]),
            schema(vec![users(), posts().index("posts_title_idx", &["title"])]),
            vec![SEED_USERS, SEED_POSTS],
            vec!["create_index", "drop_index"],
        ),
    ]
}

/// The case called `name`.
pub fn by_name(name: &str) -> Case {
    all()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case named {name}"))
}
