//! Vaccination traceability.

pub mod catalogue;
pub mod lots;
pub mod patients;
pub mod rules;
pub mod service;
