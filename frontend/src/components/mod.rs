//! Pieces shared by several pages.

pub mod session_header;
