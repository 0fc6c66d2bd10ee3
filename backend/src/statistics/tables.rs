//! The aggregate tables (migration `m20261122_000005_statistics`).

/// Per day (Europe/Paris) × department of residence × age class × product.
pub mod detail {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "statistic_detail")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub department: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub age_class: i16,
        #[sea_orm(primary_key, auto_increment = false)]
        pub product_id: Uuid,
        pub n_dose1: i64,
        pub n_complet: i64,
        pub n_rappel: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Per geography (`FR`, or a department) × day × age class, all products: what files read.
pub mod daily {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "statistic_daily")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub geo: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub age_class: i16,
        pub n_dose1: i64,
        pub n_complet: i64,
        pub n_rappel: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
