//! Wire types, one module per use case.

pub mod health;
pub mod passkey;
pub mod session;
