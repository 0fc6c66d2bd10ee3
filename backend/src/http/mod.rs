//! HTTP plumbing shared by every route: the JSON extractor with French errors, security
//! headers, and the SPA files.

pub mod agent;
pub mod client;
pub mod cookies;
pub mod json;
pub mod openapi;
pub mod params;
pub mod qr;
pub mod security;
pub mod spa;
