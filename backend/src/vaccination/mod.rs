//! Vaccination traceability.

pub mod catalogue;
pub mod lots;
pub mod offline;
pub mod patients;
pub mod practice;
pub mod rules;
pub mod service;
