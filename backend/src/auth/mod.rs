//! Authentication: passkeys (WebAuthn), enrolment tokens that allow creating one, and
//! server-side sessions.

pub mod ceremony;
pub mod decoy;
pub mod enrolment;
pub mod passkeys;
pub mod session;
pub mod sign_in;
pub mod tokens;
pub mod webauthn;
