//! Database rows (sea-orm entities). Domain rules live in the services, not here.

pub mod activation;
pub mod approval_request;
pub mod approver_device;
pub mod audit_event;
pub mod audit_head;
pub mod enrolment;
pub mod incident;
pub mod live_event;
pub mod mail_outbox;
pub mod passkey;
pub mod password_history;
pub mod practice;
pub mod professional;
pub mod push_freeze;
pub mod role_grant;
pub mod server_secret;
pub mod session;
pub mod sms_outbox;
pub mod staff_member;
pub mod structure;
pub mod structure_account;
pub mod terminal;
pub mod terminal_usage;
pub mod vaccine_product;
pub mod webauthn_ceremony;
