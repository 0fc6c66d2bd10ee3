//! Vaccination traceability.

pub mod catalogue;
pub mod lots;
pub mod rules;
pub mod service;
