//! Vigie's server: the REST API under `/api` and the built SPA, from one process.

pub mod access;
pub mod accounts;
pub mod activation;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod certificates;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod delegation;
pub mod demo;
pub mod directory;
pub mod entities;
pub mod error;
pub mod events;
pub mod housekeeping;
pub mod http;
pub mod idempotency;
pub mod incident;
pub mod injections;
pub mod mail;
pub mod migration;
pub mod routes;
pub mod startup;
pub mod state;
pub mod statistics;
pub mod telemetry;
pub mod vaccination;
pub mod vault;
pub mod work;

pub use config::Settings;
pub use startup::Application;
