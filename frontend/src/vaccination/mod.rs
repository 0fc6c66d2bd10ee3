//! Vaccination traceability screens: the tablet's entry flow, the patient's recap with its
//! certificate, and the public certificate check.

pub mod api;
pub mod app;
pub mod bilan;
pub mod dose_line;
pub mod draft;
pub mod entry;
pub mod lots;
pub mod offline;
pub mod review;
pub mod verify;
