//! Schema migrations, applied at every start (idempotent). One file per step, never edited once
//! released: a change is a new step.

use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_push_approval;
mod m20261122_000003_structure_accounts;
mod m20261122_000004_traceability;
mod m20261122_000005_statistics;
mod m20261123_000006_delegation;
mod m20261129_000007_write_guard;
mod m20261129_000008_audit_pending;
mod m20261129_000009_lot_unique;
mod m20261129_000010_account_factor;
mod m20261129_000011_freeze_refusals;
mod m20261129_000012_patient_privacy;
mod m20261129_000013_shorter_nir_mask;
mod m20261129_000014_web_push;
mod m20261129_000015_credentials;
mod m20261129_000016_enrolled_terminals;
mod m20261129_000017_mobile_practice;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_push_approval::Migration),
            Box::new(m20261122_000003_structure_accounts::Migration),
            Box::new(m20261122_000004_traceability::Migration),
            Box::new(m20261122_000005_statistics::Migration),
            Box::new(m20261123_000006_delegation::Migration),
            Box::new(m20261129_000007_write_guard::Migration),
            Box::new(m20261129_000008_audit_pending::Migration),
            Box::new(m20261129_000009_lot_unique::Migration),
            Box::new(m20261129_000010_account_factor::Migration),
            Box::new(m20261129_000011_freeze_refusals::Migration),
            Box::new(m20261129_000012_patient_privacy::Migration),
            Box::new(m20261129_000013_shorter_nir_mask::Migration),
            Box::new(m20261129_000014_web_push::Migration),
            Box::new(m20261129_000015_credentials::Migration),
            Box::new(m20261129_000016_enrolled_terminals::Migration),
            Box::new(m20261129_000017_mobile_practice::Migration),
        ]
    }
}
