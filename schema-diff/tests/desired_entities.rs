//! The desired side: the example entities (and a few defined here) → IR.

use schema_diff::desired::{
    EntityStatements, column_type_from_sea, default_from_expr, schema_from_entities,
    split_renamed_from,
};
use schema_diff::{ColumnType, DefaultValue, Error, FkAction, ForeignKey, Index, Schema, Table};
use sea_orm::DbBackend;

fn example_schema() -> Schema {
    let statements = entity::all_entities(&sea_orm::Schema::new(DbBackend::Sqlite));
    schema_from_entities(statements).expect("the example entities convert")
}

fn table<'a>(schema: &'a Schema, name: &str) -> &'a Table {
    schema
        .table(name)
        .unwrap_or_else(|| panic!("table {name} is missing"))
}

#[test]
fn example_tables_are_all_there_and_sorted() {
    let schema = example_schema();
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "api_keys",
            "document_tags",
            "documents",
            "tags",
            "user_preferences",
            "users"
        ]
    );
}

#[test]
fn users_columns_keys_and_defaults() {
    let schema = example_schema();
    let users = table(&schema, "users");
    assert_eq!(users.primary_key, ["id"]);
    let id = users.column("id").unwrap();
    assert_eq!(id.ty, ColumnType::Integer);
    assert!(id.auto_increment && !id.nullable);

    let email = users.column("email").unwrap();
    assert_eq!(email.ty, ColumnType::String(Some(255)));
    assert!(!email.nullable);
    assert_eq!(
        users.indexes,
        [Index {
            name: "users_email_key".into(),
            columns: vec!["email".into()],
            unique: true,
            constraint: true,
        }]
    );

    assert!(users.column("bio").unwrap().nullable);
    assert_eq!(users.column("bio").unwrap().ty, ColumnType::Text);
    assert_eq!(
        users.column("role").unwrap().ty,
        ColumnType::Enum {
            name: "user_role".into(),
            variants: vec!["admin".into(), "member".into(), "guest".into()],
        }
    );
    let default = |c: &str| users.column(c).unwrap().default.clone();
    assert_eq!(default("is_active"), Some(DefaultValue::Bool(true)));
    assert_eq!(
        default("login_count"),
        Some(DefaultValue::Number("0".into()))
    );
    assert_eq!(default("created_at"), Some(DefaultValue::CurrentTimestamp));
    assert_eq!(default("email"), None);
    assert_eq!(
        users.column("login_count").unwrap().ty,
        ColumnType::BigInteger
    );
    assert_eq!(
        users.column("created_at").unwrap().ty,
        ColumnType::TimestampWithTimeZone
    );
    assert_eq!(
        users.column("last_login_at").unwrap().ty,
        ColumnType::DateTime
    );
    assert!(users.foreign_keys.is_empty());
}

#[test]
fn documents_indexes_types_and_foreign_key() {
    let schema = example_schema();
    let documents = table(&schema, "documents");
    assert_eq!(documents.primary_key, ["id"]);
    assert_eq!(documents.column("id").unwrap().ty, ColumnType::BigInteger);
    assert!(documents.column("id").unwrap().auto_increment);
    assert_eq!(
        documents.indexes,
        [
            Index {
                name: "idx-documents-owner_id".into(),
                columns: vec!["owner_id".into()],
                unique: false,
                constraint: false,
            },
            Index {
                name: "idx-documents-owner_slug".into(),
                columns: vec!["slug".into(), "owner_ref".into()],
                unique: true,
                constraint: false,
            },
        ]
    );
    let price = documents.column("price").unwrap();
    assert_eq!(price.ty, ColumnType::Decimal(Some((10, 2))));
    assert!(price.nullable);
    assert_eq!(documents.column("public_id").unwrap().ty, ColumnType::Uuid);
    assert_eq!(
        documents.column("title").unwrap().ty,
        ColumnType::String(None)
    );
    assert_eq!(documents.column("rating").unwrap().ty, ColumnType::Double);
    assert_eq!(documents.column("metadata").unwrap().ty, ColumnType::Json);
    assert_eq!(
        documents.column("revision").unwrap().default,
        Some(DefaultValue::Number("1".into()))
    );
    assert_eq!(
        documents.foreign_keys,
        [ForeignKey {
            name: Some("fk-documents-owner_id".into()),
            columns: vec!["owner_id".into()],
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::Restrict,
            on_update: FkAction::Cascade,
        }]
    );
}

#[test]
fn composite_primary_key_and_cascades() {
    let schema = example_schema();
    let tags = table(&schema, "document_tags");
    assert_eq!(tags.primary_key, ["document_id", "tag_id"]);
    assert!(tags.columns.iter().all(|c| !c.auto_increment));
    assert_eq!(tags.foreign_keys.len(), 2);
    assert_eq!(tags.foreign_keys[0].ref_table, "documents");
    assert_eq!(tags.foreign_keys[0].on_delete, FkAction::Cascade);
    assert_eq!(tags.foreign_keys[0].on_update, FkAction::NoAction);

    let prefs = table(&schema, "user_preferences");
    assert_eq!(prefs.primary_key, ["user_id"]);
    assert!(!prefs.column("user_id").unwrap().auto_increment);
    let fk = &prefs.foreign_keys[0];
    assert_eq!(
        (fk.on_delete, fk.on_update),
        (FkAction::Cascade, FkAction::Cascade)
    );
    assert_eq!(fk.columns, ["user_id"]);
    let default = |c: &str| prefs.column(c).unwrap().default.clone();
    assert_eq!(default("theme"), Some(DefaultValue::String("light".into())));
    assert_eq!(
        default("locale"),
        Some(DefaultValue::String("en-US".into()))
    );
    assert_eq!(
        default("page_size"),
        Some(DefaultValue::Number("20".into()))
    );
    assert_eq!(default("email_digest"), Some(DefaultValue::Bool(false)));
    assert_eq!(
        prefs.column("page_size").unwrap().ty,
        ColumnType::SmallInteger
    );
    assert_eq!(
        prefs.column("locale").unwrap().ty,
        ColumnType::Char(Some(5))
    );
}

#[test]
fn api_keys_and_tags() {
    let schema = example_schema();
    let keys = table(&schema, "api_keys");
    assert_eq!(keys.column("id").unwrap().ty, ColumnType::Uuid);
    assert!(!keys.column("id").unwrap().auto_increment);
    assert_eq!(keys.column("salt").unwrap().ty, ColumnType::Binary(16));
    assert_eq!(keys.indexes[0].name, "api_keys_key_hash_key");
    let tags = table(&schema, "tags");
    assert_eq!(tags.column("color").unwrap().ty, ColumnType::Char(Some(7)));
    assert!(tags.column("color").unwrap().nullable);
}

#[test]
fn enums_are_collected_once() {
    let schema = example_schema();
    let names: Vec<&str> = schema.enums.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["document_status", "user_role"]);
    assert_eq!(
        schema.enum_type("document_status").unwrap().values,
        ["draft", "published", "archived"]
    );
}

mod renamed {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(
        table_name = "accounts",
        comment = "Customer accounts; renamed_from \"old_accounts\""
    )]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(renamed_from = "full_name")]
        pub display_name: String,
        #[sea_orm(renamed_from = "mail", comment = "where we write")]
        pub email: String,
        #[sea_orm(comment = "plain comment")]
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod money {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "prices")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "Money(Some((10, 2)))")]
        pub amount: Decimal,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn statements_of<E: sea_orm::EntityTrait>(entity: E) -> EntityStatements {
    let schema = sea_orm::Schema::new(DbBackend::Sqlite);
    (
        schema.create_table_from_entity(entity),
        schema.create_index_from_entity(entity),
        schema.create_enum_from_entity(entity),
    )
}

#[test]
fn renamed_from_is_taken_out_of_comments() {
    let schema = schema_from_entities(vec![statements_of(renamed::Entity)]).unwrap();
    let accounts = table(&schema, "accounts");
    assert_eq!(accounts.renamed_from.as_deref(), Some("old_accounts"));
    assert_eq!(accounts.comment.as_deref(), Some("Customer accounts"));

    let display = accounts.column("display_name").unwrap();
    assert_eq!(display.renamed_from.as_deref(), Some("full_name"));
    assert_eq!(display.comment, None);
    let email = accounts.column("email").unwrap();
    assert_eq!(email.renamed_from.as_deref(), Some("mail"));
    assert_eq!(email.comment.as_deref(), Some("where we write"));
    let note = accounts.column("note").unwrap();
    assert_eq!(note.renamed_from, None);
    assert_eq!(note.comment.as_deref(), Some("plain comment"));
}

#[test]
fn split_renamed_from_cases() {
    let s = |c| split_renamed_from(Some(c));
    assert_eq!(s("renamed_from \"a\""), (None, Some("a".into())));
    assert_eq!(
        s("x; renamed_from \"a\""),
        (Some("x".into()), Some("a".into()))
    );
    assert_eq!(s("just text"), (Some("just text".into()), None));
    assert_eq!(
        s("renamed_from \"unterminated"),
        (Some("renamed_from \"unterminated".into()), None)
    );
    assert_eq!(split_renamed_from(None), (None, None));
}

#[test]
fn unsupported_type_names_entity_and_column() {
    let err = schema_from_entities(vec![statements_of(money::Entity)]).unwrap_err();
    match &err {
        Error::UnsupportedType {
            entity,
            column,
            reason,
        } => {
            assert_eq!((entity.as_str(), column.as_str()), ("prices", "amount"));
            assert!(reason.contains("Money(10, 2)"), "{reason}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("entity `prices`, column `amount`: ")
    );
}

#[test]
fn column_types_without_ir_name() {
    use sea_orm::sea_query::{ColumnType as S, StringLen};
    assert_eq!(
        column_type_from_sea(&S::Inet),
        Ok(ColumnType::Custom("inet".into()))
    );
    assert_eq!(
        column_type_from_sea(&S::Bit(Some(3))),
        Ok(ColumnType::Custom("bit(3)".into()))
    );
    assert!(column_type_from_sea(&S::String(StringLen::Max)).is_err());
    assert_eq!(
        column_type_from_sea(&S::Array(S::Integer.into())),
        Ok(ColumnType::Array(Box::new(ColumnType::Integer)))
    );
    assert_eq!(
        column_type_from_sea(&S::VarBinary(StringLen::N(8))),
        Ok(ColumnType::VarBinary(Some(8)))
    );
}

#[test]
fn defaults_from_expressions() {
    use sea_orm::sea_query::{Expr, Func};
    assert_eq!(
        default_from_expr(&Expr::val(2.5f64)),
        DefaultValue::Number("2.5".into())
    );
    assert_eq!(
        default_from_expr(&Expr::val("it's")),
        DefaultValue::String("it's".into())
    );
    assert_eq!(
        default_from_expr(&Expr::cust("CURRENT_DATE")),
        DefaultValue::CurrentDate
    );
    assert_eq!(default_from_expr(&Expr::cust("NULL")), DefaultValue::Null);
    assert_eq!(
        default_from_expr(&Func::lower(Expr::val("A")).into()),
        DefaultValue::Expr("LOWER('A')".into())
    );
    assert_eq!(
        default_from_expr(&Expr::cust("datetime('now')")),
        DefaultValue::Expr("datetime('now')".into())
    );
}
