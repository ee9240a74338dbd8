//! A small builder for IR literals, so that test cases read like schemas.

use schema_diff::ir::*;

/// A table with an auto-increment integer primary key `id`.
pub fn table(name: &str) -> Table {
    let mut id = Column::new("id", ColumnType::Integer);
    id.auto_increment = true;
    Table {
        name: name.into(),
        columns: vec![id],
        primary_key: vec!["id".into()],
        ..Table::default()
    }
}

/// A table with no columns and no primary key yet.
pub fn bare_table(name: &str) -> Table {
    Table {
        name: name.into(),
        ..Table::default()
    }
}

/// A NOT NULL column.
pub fn col(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

/// Builder methods on IR values.
pub trait TableExt {
    fn with(self, column: Column) -> Self;
    fn pk(self, columns: &[&str]) -> Self;
    fn index(self, name: &str, columns: &[&str]) -> Self;
    fn unique_index(self, name: &str, columns: &[&str]) -> Self;
    fn unique_constraint(self, name: &str, columns: &[&str]) -> Self;
    fn fk(
        self,
        columns: &[&str],
        ref_table: &str,
        ref_columns: &[&str],
        on_delete: FkAction,
    ) -> Self;
    fn renamed_from(self, old: &str) -> Self;
}

fn names(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| c.to_string()).collect()
}

impl TableExt for Table {
    fn with(mut self, column: Column) -> Self {
        self.columns.push(column);
        self
    }
    fn pk(mut self, columns: &[&str]) -> Self {
        self.primary_key = names(columns);
        self
    }
    fn index(mut self, name: &str, columns: &[&str]) -> Self {
        self.indexes.push(Index {
            name: name.into(),
            columns: names(columns),
            unique: false,
            constraint: false,
        });
        self
    }
    fn unique_index(mut self, name: &str, columns: &[&str]) -> Self {
        self.indexes.push(Index {
            name: name.into(),
            columns: names(columns),
            unique: true,
            constraint: false,
        });
        self
    }
    fn unique_constraint(mut self, name: &str, columns: &[&str]) -> Self {
        self.indexes.push(Index {
            name: name.into(),
            columns: names(columns),
            unique: true,
            constraint: true,
        });
        self
    }
    fn fk(
        mut self,
        columns: &[&str],
        ref_table: &str,
        ref_columns: &[&str],
        on_delete: FkAction,
    ) -> Self {
        self.foreign_keys.push(ForeignKey {
            name: Some(format!("fk-{}-{}", self.name, columns.join("-"))),
            columns: names(columns),
            ref_table: ref_table.into(),
            ref_columns: names(ref_columns),
            on_delete,
            on_update: FkAction::NoAction,
        });
        self
    }
    fn renamed_from(mut self, old: &str) -> Self {
        self.renamed_from = Some(old.into());
        self
    }
}

/// Builder methods on columns.
pub trait ColumnExt {
    fn null(self) -> Self;
    fn default(self, value: DefaultValue) -> Self;
    fn renamed_from(self, old: &str) -> Self;
}

impl ColumnExt for Column {
    fn null(mut self) -> Self {
        self.nullable = true;
        self
    }
    fn default(mut self, value: DefaultValue) -> Self {
        self.default = Some(value);
        self
    }
    fn renamed_from(mut self, old: &str) -> Self {
        self.renamed_from = Some(old.into());
        self
    }
}

/// A schema of `tables` (sorted).
pub fn schema(tables: Vec<Table>) -> Schema {
    // The enum types its columns use, as the entities' schema has them.
    let mut enums: Vec<EnumType> = Vec::new();
    for column in tables.iter().flat_map(|t| &t.columns) {
        if let ColumnType::Enum { name, variants } = &column.ty
            && !enums.iter().any(|e| &e.name == name)
        {
            enums.push(EnumType {
                name: name.clone(),
                values: variants.clone(),
            });
        }
    }
    let mut s = Schema { tables, enums };
    s.sort();
    s
}

/// `'text'` as a string default.
pub fn text_default(s: &str) -> DefaultValue {
    DefaultValue::String(s.into())
}

/// A numeric default.
pub fn number_default(n: i64) -> DefaultValue {
    DefaultValue::Number(n.to_string())
}
