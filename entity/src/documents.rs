//! Documents written by users.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sea_orm_active_enums::DocumentStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub public_id: Uuid,
    #[sea_orm(indexed)]
    pub owner_id: i32,
    #[sea_orm(column_type = "String(StringLen::N(200))", unique_key = "owner_slug")]
    pub slug: String,
    #[sea_orm(unique_key = "owner_slug")]
    pub owner_ref: i32,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub status: DocumentStatus,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))", nullable)]
    pub price: Option<Decimal>,
    #[sea_orm(default_value = 1)]
    pub revision: i32,
    pub word_count: Option<i32>,
    pub rating: Option<f64>,
    pub metadata: Option<Json>,
    pub published_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::OwnerId",
        to = "super::users::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    Owner,
    #[sea_orm(has_many = "super::document_tags::Entity")]
    DocumentTags,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
