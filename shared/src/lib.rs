//! Types both sides of Vigie agree on: identifiers that parse or refuse (so a malformed
//! identifier never reaches a phone or the database), API request/response types grouped
//! by use case, and the error body with its stable codes.

pub mod api;
pub mod dose_rules;
pub mod error;
pub mod ids;
pub mod paris;
pub mod routes;
pub mod text;
pub mod vaccines;

pub use error::{ApiError, ErrorCode};
pub use ids::{
    AccountIdentifier, CpeNumber, Finess, IdError, NationalId, Nir, NirContext, Rpps, Sex,
};
