//! Authentication: WebAuthn ceremony state, enrolment tokens that allow creating a passkey (the
//! passkeys themselves: `crate::credentials`), and server-side sessions.

pub mod ceremony;
pub mod decoy;
pub mod enrolment;
pub mod session;
pub mod sign_in;
pub mod tokens;
pub mod webauthn;
