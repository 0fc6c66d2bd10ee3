//! Pieces shared by several pages.

pub mod code_field;
pub mod identifier;
pub mod password_field;
pub mod session_header;
