//! Pieces shared by several pages.

pub mod code_field;
pub mod national_id;
pub mod session_header;
