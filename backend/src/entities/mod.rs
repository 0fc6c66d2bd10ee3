//! Database rows (sea-orm entities). Domain rules live in the services, not here.

pub mod enrolment;
pub mod passkey;
pub mod practice;
pub mod professional;
pub mod server_secret;
pub mod session;
pub mod staff_member;
pub mod structure;
pub mod vaccine_product;
pub mod webauthn_ceremony;
