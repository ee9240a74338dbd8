//! A migration whose `up` and `down` run a change list through
//! `schema_diff::statements::apply`: the executable twin of a rendered module.

use schema_diff::Change;
use sea_orm_migration::prelude::*;

/// A named migration made of changes.
pub struct Interpreted {
    pub name: String,
    pub changes: Vec<Change>,
}

impl MigrationName for Interpreted {
    fn name(&self) -> &str {
        &self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Interpreted {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        schema_diff::statements::apply(manager, &self.changes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        schema_diff::statements::apply(manager, &schema_diff::reverse::reverse_all(&self.changes))
            .await
    }
}
