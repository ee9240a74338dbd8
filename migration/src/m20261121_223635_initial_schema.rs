//! initial schema
//!
//! Changes:
//!
//! - create enum `document_status` (`draft`, `published`, `archived`)
//! - create enum `user_role` (`admin`, `member`, `guest`)
//! - create table `users`
//! - create table `api_keys`
//! - create table `documents`
//! - create table `tags`
//! - create table `document_tags`
//! - create table `user_preferences`

#![cfg_attr(rustfmt, rustfmt::skip)]

use sea_orm_migration::{
    prelude::*, sea_orm::DbBackend, sea_query::extension::postgres::Type,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            // Enum types exist on PostgreSQL only; MySQL and SQLite keep the values in the column
            // type.
            manager
                .create_type(
                    Type::create()
                        .as_enum(DocumentStatus)
                        .values(["draft", "published", "archived"])
                        .to_owned(),
                )
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            // Enum types exist on PostgreSQL only; MySQL and SQLite keep the values in the column
            // type.
            manager
                .create_type(
                    Type::create()
                        .as_enum(UserRole)
                        .values(["admin", "member", "guest"])
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(
                        ColumnDef::new(Users::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Users::Email).string_len(255).not_null())
                    .col(ColumnDef::new(Users::DisplayName).string_len(100).not_null())
                    .col(ColumnDef::new(Users::Bio).text().null())
                    .col(
                        ColumnDef::new(Users::Role)
                            .enumeration(UserRole, ["admin", "member", "guest"])
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Users::IsActive)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(Users::LoginCount)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Users::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null()
                            .default(Expr::current_timestamp()),
                    )
                    .col(ColumnDef::new(Users::LastLoginAt).date_time().null())
                    .index(
                        Index::create()
                            .name("users_email_key")
                            .col(Users::Email)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(ColumnDef::new(ApiKeys::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ApiKeys::UserId).integer().not_null())
                    .col(ColumnDef::new(ApiKeys::KeyHash).string_len(64).not_null())
                    .col(ColumnDef::new(ApiKeys::Label).string_len(80).null())
                    .col(ColumnDef::new(ApiKeys::Salt).binary_len(16).not_null())
                    .col(ColumnDef::new(ApiKeys::Scopes).json().not_null())
                    .col(
                        ColumnDef::new(ApiKeys::ExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ApiKeys::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null()
                            .default(Expr::current_timestamp()),
                    )
                    .index(
                        Index::create()
                            .name("api_keys_key_hash_key")
                            .col(ApiKeys::KeyHash)
                            .unique(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-api_keys-user_id")
                            .from(ApiKeys::Table, ApiKeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(
                        ColumnDef::new(Documents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Documents::PublicId).uuid().not_null())
                    .col(ColumnDef::new(Documents::OwnerId).integer().not_null())
                    .col(ColumnDef::new(Documents::Slug).string_len(200).not_null())
                    .col(ColumnDef::new(Documents::OwnerRef).integer().not_null())
                    .col(ColumnDef::new(Documents::Title).string().not_null())
                    .col(ColumnDef::new(Documents::Body).text().not_null())
                    .col(
                        ColumnDef::new(Documents::Status)
                            .enumeration(
                                DocumentStatus,
                                ["draft", "published", "archived"],
                            )
                            .not_null(),
                    )
                    .col(ColumnDef::new(Documents::Price).decimal_len(10, 2).null())
                    .col(
                        ColumnDef::new(Documents::Revision)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(ColumnDef::new(Documents::WordCount).integer().null())
                    .col(ColumnDef::new(Documents::Rating).double().null())
                    .col(ColumnDef::new(Documents::Metadata).json().null())
                    .col(
                        ColumnDef::new(Documents::PublishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Documents::CreatedAt).date_time().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-documents-owner_id")
                            .from(Documents::Table, Documents::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx-documents-owner_id")
                    .table(Documents::Table)
                    .col(Documents::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx-documents-owner_slug")
                    .table(Documents::Table)
                    .col(Documents::Slug)
                    .col(Documents::OwnerRef)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tags::Table)
                    .col(
                        ColumnDef::new(Tags::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Tags::Name).string_len(50).not_null())
                    .col(ColumnDef::new(Tags::Color).char_len(7).null())
                    .index(
                        Index::create().name("tags_name_key").col(Tags::Name).unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DocumentTags::Table)
                    .col(
                        ColumnDef::new(DocumentTags::DocumentId).big_integer().not_null(),
                    )
                    .col(ColumnDef::new(DocumentTags::TagId).integer().not_null())
                    .col(ColumnDef::new(DocumentTags::TaggedAt).date_time().not_null())
                    .primary_key(
                        Index::create()
                            .col(DocumentTags::DocumentId)
                            .col(DocumentTags::TagId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-document_tags-document_id")
                            .from(DocumentTags::Table, DocumentTags::DocumentId)
                            .to(Documents::Table, Documents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-document_tags-tag_id")
                            .from(DocumentTags::Table, DocumentTags::TagId)
                            .to(Tags::Table, Tags::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx-document_tags-tagged_at")
                    .table(DocumentTags::Table)
                    .col(DocumentTags::TaggedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserPreferences::Table)
                    .col(
                        ColumnDef::new(UserPreferences::UserId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(UserPreferences::Theme)
                            .string_len(32)
                            .not_null()
                            .default("light"),
                    )
                    .col(
                        ColumnDef::new(UserPreferences::Locale)
                            .char_len(5)
                            .not_null()
                            .default("en-US"),
                    )
                    .col(
                        ColumnDef::new(UserPreferences::PageSize)
                            .small_integer()
                            .not_null()
                            .default(20),
                    )
                    .col(
                        ColumnDef::new(UserPreferences::EmailDigest)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(UserPreferences::Settings).json().not_null())
                    .col(
                        ColumnDef::new(UserPreferences::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-user_preferences-user_id")
                            .from(UserPreferences::Table, UserPreferences::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserPreferences::Table).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(DocumentTags::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Tags::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Documents::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ApiKeys::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Enum types exist on PostgreSQL only; MySQL and SQLite keep the values in the column
            // type.
            manager.drop_type(Type::drop().name(UserRole).to_owned()).await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            // Enum types exist on PostgreSQL only; MySQL and SQLite keep the values in the column
            // type.
            manager.drop_type(Type::drop().name(DocumentStatus).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    Bio,
    Role,
    IsActive,
    LoginCount,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    UserId,
    KeyHash,
    Label,
    Salt,
    Scopes,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    PublicId,
    OwnerId,
    Slug,
    OwnerRef,
    Title,
    Body,
    Status,
    Price,
    Revision,
    WordCount,
    Rating,
    Metadata,
    PublishedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    Id,
    Name,
    Color,
}

#[derive(DeriveIden)]
enum DocumentTags {
    Table,
    DocumentId,
    TagId,
    TaggedAt,
}

#[derive(DeriveIden)]
enum UserPreferences {
    Table,
    UserId,
    Theme,
    Locale,
    PageSize,
    EmailDigest,
    Settings,
    UpdatedAt,
}

#[derive(DeriveIden)]
struct DocumentStatus;

#[derive(DeriveIden)]
struct UserRole;
