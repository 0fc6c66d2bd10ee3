//! Backend API tests: one binary, each test starts the real app on port 0 with its real
//! migrations and a fresh database (temp SQLite file, or a new PostgreSQL database when
//! `DATABASE_URL` names a PostgreSQL server).

mod accounts;
mod activation;
mod approvals;
mod apps;
mod credentials;
mod delegation;
mod delegation_limits;
mod errors;
mod health;
mod helpers;
mod invariants;
mod lifetimes;
mod mail;
mod matrix;
mod mobile;
mod offline;
mod openapi;
mod passkeys;
mod push;
mod secrets;
mod security;
mod sessions;
mod statistics;
mod streams;
mod terminals;
mod vaccination;
