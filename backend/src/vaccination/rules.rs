//! The medical rules of a dose live in the shared crate: a device entering offline applies
//! the very same ones.

pub use vigie_shared::dose_rules::*;
