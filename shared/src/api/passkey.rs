//! Passkey (WebAuthn) ceremonies. The challenge bodies are webauthn-rs-proto types, passed to
//! `navigator.credentials` as they are; the server keeps the ceremony state.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
pub use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

use crate::ids::NationalId;

/// Start creating a passkey, with a one-time enrolment token (issued by activation or an operator).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationStart {
    pub enrolment_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationChallenge {
    pub ceremony_id: Uuid,
    /// `CreationChallengeResponse` of WebAuthn, for `navigator.credentials.create`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: CreationChallengeResponse,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationFinish {
    pub ceremony_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: RegisterPublicKeyCredential,
    /// A name the user gives this device ("Téléphone", "Clé USB").
    pub label: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisteredPasskey {
    pub passkey_id: Uuid,
    pub label: String,
}

/// Start signing in with a passkey. The answer looks the same whether or not the identifier exists.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticationStart {
    pub national_id: NationalId,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticationChallenge {
    pub ceremony_id: Uuid,
    /// `RequestChallengeResponse` of WebAuthn, for `navigator.credentials.get`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: RequestChallengeResponse,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticationFinish {
    pub ceremony_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: PublicKeyCredential,
}
