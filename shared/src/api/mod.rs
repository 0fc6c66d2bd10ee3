//! Wire types, one module per use case.

pub mod account;
pub mod activation;
pub mod approval;
pub mod credentials;
pub mod delegation;
pub mod fixed_time;
pub mod health;
pub mod live;
pub mod offline;
pub mod passkey;
pub mod push;
pub mod security;
pub mod session;
pub mod statistics;
pub mod terminal;
pub mod vaccination;
