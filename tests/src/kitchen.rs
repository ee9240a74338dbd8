//! A kitchen-sink entity set: every SeaORM column type, so that "no false
//! positives" is checked type by type on every backend.

/// Every scalar column type, with defaults of each kind.
pub mod kitchen_sink {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "kitchen_sink")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub s: String,
        #[sea_orm(column_type = "String(StringLen::N(40))", default_value = "x")]
        pub s40: String,
        #[sea_orm(column_type = "Char(Some(3))")]
        pub c3: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub t: Option<String>,
        pub i8v: i8,
        #[sea_orm(default_value = 7)]
        pub i16v: i16,
        pub i32v: i32,
        pub i64v: i64,
        pub u8v: u8,
        pub u16v: u16,
        pub u32v: u32,
        pub u64v: u64,
        pub f32v: f32,
        #[sea_orm(default_value = 1.5)]
        pub f64v: f64,
        #[sea_orm(column_type = "Decimal(Some((12, 3)))")]
        pub dec: Decimal,
        #[sea_orm(default_value = false)]
        pub b: bool,
        pub d: Date,
        pub tm: Time,
        pub dt: DateTime,
        #[sea_orm(column_type = "Timestamp")]
        pub ts: DateTime,
        #[sea_orm(default_expr = "Expr::current_timestamp()")]
        pub tz: DateTimeWithTimeZone,
        pub j: Json,
        #[sea_orm(column_type = "JsonBinary", nullable)]
        pub jb: Option<Json>,
        pub u: Uuid,
        #[sea_orm(column_type = "Binary(16)")]
        pub bin: Vec<u8>,
        #[sea_orm(column_type = "VarBinary(StringLen::N(64))")]
        pub vbin: Vec<u8>,
        #[sea_orm(column_type = "Blob", nullable)]
        pub blob: Option<Vec<u8>>,
        pub mood: super::Mood,
        #[sea_orm(unique)]
        pub code: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// PostgreSQL arrays (PostgreSQL only: the other backends have no array type).
pub mod arrays {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "arrays")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub tags: Vec<String>,
        pub nums: Vec<i32>,
        pub flags: Option<Vec<bool>>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use sea_orm::entity::prelude::*;

/// An enum column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "mood")]
pub enum Mood {
    #[sea_orm(string_value = "happy")]
    Happy,
    #[sea_orm(string_value = "sad")]
    Sad,
}

/// The kitchen-sink entities' statements (built for SQLite, as the CLI does);
/// with `arrays`, the PostgreSQL-only array entity too.
pub fn statements(arrays: bool) -> Vec<schema_diff::desired::EntityStatements> {
    let schema = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    let mut out = vec![(
        schema.create_table_from_entity(kitchen_sink::Entity),
        schema.create_index_from_entity(kitchen_sink::Entity),
        schema.create_enum_from_entity(kitchen_sink::Entity),
    )];
    if arrays {
        out.push((
            schema.create_table_from_entity(arrays::Entity),
            schema.create_index_from_entity(arrays::Entity),
            schema.create_enum_from_entity(arrays::Entity),
        ));
    }
    out
}
