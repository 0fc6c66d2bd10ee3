//! Pieces shared by several pages.

pub mod alerts;
pub mod code_field;
pub mod identifier;
pub mod mailed_report;
pub mod passkey_sign_in;
pub mod password_field;
pub mod push_request;
pub mod session_header;
pub mod site_nav;
pub mod text_field;
