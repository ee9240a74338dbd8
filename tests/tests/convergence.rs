//! Convergence on every backend: A → auto → apply → empty diff → down → A, rows kept.

use tests::Backend;
use tests::cases::by_name;
use tests::converge::run_case;

async fn converge(name: &str) {
    let case = by_name(name);
    let mut skipped = Vec::new();
    for backend in Backend::ALL {
        match run_case(&case, backend).await {
            Ok(true) => {}
            Ok(false) => skipped.push(backend),
            Err(e) => panic!("case `{name}` on {backend:?}: {e}"),
        }
    }
    if !skipped.is_empty() {
        eprintln!("case `{name}`: SKIPPED on {skipped:?} (server unreachable)");
    }
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                converge(stringify!($name)).await;
            }
        )*

        #[test]
        fn every_case_has_a_test() {
            let listed = [$(stringify!($name)),*];
            for case in tests::cases::all() {
                assert!(listed.contains(&case.name), "case `{}` has no #[tokio::test]", case.name);
            }
            assert!(listed.len() >= 25, "the suite needs at least 25 cases, has {}", listed.len());
        }
    };
}

cases!(
    create_table,
    drop_table,
    rename_table,
    add_nullable_column,
    add_not_null_column_with_default,
    drop_column,
    rename_column,
    widen_varchar,
    integer_to_text,
    decimal_precision,
    make_not_null,
    make_nullable,
    add_default,
    change_default,
    drop_default,
    add_index,
    drop_index,
    add_unique_index,
    add_composite_unique,
    drop_unique_constraint,
    add_foreign_key,
    drop_foreign_key,
    change_foreign_key_action,
    change_primary_key,
    rebuild_parent_keeps_child_rows,
    enum_column,
    new_table_referencing_existing_plus_column_and_index,
    rename_and_retype_in_one_table,
    drop_child_and_parent_tables,
    add_column_with_foreign_key,
    many_types_table_created,
    replace_foreign_key_index_with_composite_unique,
    unique_under_foreign_key_replaced_by_plain_index,
);
