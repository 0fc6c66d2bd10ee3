//! Enrolled terminals: a structure's manager enrols a hall tablet, which keeps a
//! non-extractable device key (ECDSA P-256, WebCrypto) and signs its requests with it over a
//! single-use server nonce. The phone then names the tablet and its structure.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a signature covers: `vigie-terminal-v1`, the purpose, the nonce and the subject, one per
/// line (the subject is the national identifier asked for, the professional asked by a
/// delegate, or the terminal itself). A signature made for one request proves nothing for
/// another, and its nonce is spent by the first use.
pub fn signed_message(purpose: SignedPurpose, nonce: &str, subject: &str) -> String {
    format!(
        "vigie-terminal-v1\n{}\n{nonce}\n{subject}",
        purpose.as_str()
    )
}

/// The request a terminal's signature is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedPurpose {
    /// Push sign-in (`POST /api/approvals`), subject: the national identifier.
    Push,
    /// Delegated request, subject: the professional's id.
    Delegated,
    /// "Which terminal am I?", subject: the enrolled terminal's id.
    Identify,
}

impl SignedPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Delegated => "delegated",
            Self::Identify => "identify",
        }
    }
}

/// Manager, on the tablet itself: enrol it under a name, with its device key's public half.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalEnrolment {
    /// "Tablette 3", shown on the phone.
    pub name: String,
    /// SubjectPublicKeyInfo (DER) of an ECDSA P-256 key, base64url without padding.
    pub public_key: String,
}

/// An enrolled terminal, as its structure's manager sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolledTerminalView {
    pub id: Uuid,
    pub structure_id: Uuid,
    pub structure_name: String,
    pub name: String,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Terminal: ask for a nonce to sign.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NonceRequest {
    pub terminal_id: Uuid,
}

/// A single-use nonce, good for a minute.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalNonce {
    pub nonce: String,
    pub expires_at: DateTime<Utc>,
}

/// A terminal's signature over `signed_message(purpose, nonce, subject)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalProof {
    pub terminal_id: Uuid,
    pub nonce: String,
    /// ECDSA P-256 / SHA-256 signature, `r ‖ s` (64 bytes, as WebCrypto gives it), base64url.
    pub signature: String,
}

/// The enrolled terminal a valid proof names (`POST /api/terminals/identify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalIdentity {
    pub terminal_id: Uuid,
    pub name: String,
    pub structure_name: String,
}
