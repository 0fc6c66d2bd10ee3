use std::sync::Arc;

use sea_orm::DatabaseConnection;
use webauthn_rs::Webauthn;

use crate::{clock::Clock, config::Settings};

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub webauthn: Arc<Webauthn>,
    pub clock: Clock,
    pub events: crate::events::Events,
    /// Seals secrets at rest (keys outside the database).
    pub vault: Arc<crate::vault::Vault>,
    /// Finds patients by NIR without storing it.
    pub nir_fingerprint: Arc<crate::vault::Fingerprint>,
    /// Keys the stored hashes of the 6-digit codes sent by SMS or shown on a terminal.
    pub code_key: Arc<crate::vault::Fingerprint>,
    /// Signs the offline permits the server hands to devices.
    pub permit_key: Arc<crate::vault::Fingerprint>,
    /// The audit chain's key.
    pub audit_key: Arc<crate::audit::ChainKey>,
    /// Key for deriving the decoy credentials shown for unknown identifiers.
    pub decoy_key: Arc<[u8; 32]>,
    /// Seals committed audit events into the chain, once for writes that commit together.
    pub sealer: Arc<crate::audit::Sealer>,
    /// SQLite's group-commit writer (`None` on PostgreSQL).
    pub writer: Option<crate::work::Writer>,
    /// The vaccine products, read once at start: the catalogue is fixed by the release
    /// (seeded at start), and a write reads it without a query.
    pub catalogue: Arc<crate::injections::Catalogue>,
    /// The key that signs EU Digital COVID Certificates.
    pub dcc: Arc<crate::certificates::dcc::SigningMaterial>,
    /// Web Push: the VAPID key, and the signal that wakes this instance's push sender.
    pub push: Arc<crate::push::Push>,
}

impl AppState {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
