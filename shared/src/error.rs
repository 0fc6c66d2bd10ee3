//! The one error body every API answer carries on failure: a stable machine code and a
//! French sentence for the user. Codes never change meaning once published.

use serde::{Deserialize, Serialize};

use crate::ids::IdError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    MethodNotAllowed,
    MalformedJson,
    UnsupportedMediaType,
    PayloadTooLarge,
    InvalidIdentifier,
    InvalidInput,
    Unauthenticated,
    Forbidden,
    /// A state-changing request that does not come from Vigie's own pages (`Origin` /
    /// `Sec-Fetch-Site` missing or foreign).
    CrossOrigin,
    SessionExpired,
    CeremonyExpired,
    WebauthnRejected,
    EnrolmentInvalid,
    RateLimited,
    Conflict,
    WrongCode,
    RequestClosed,
    NotApproverDevice,
    /// Password sign-in refused (unknown identifier, wrong password or locked: one answer).
    InvalidCredentials,
    /// Signed in with a password; the second factor is still due.
    SecondFactorRequired,
    /// The password expired or was set by an operator: it must be replaced first.
    PasswordChangeRequired,
    WeakPassword,
    PasswordReused,
    /// The lot is expired, inactive, of another product or of another structure.
    LotUnusable,
    /// Every dose the lot received is used or declared wasted.
    LotExhausted,
    /// The offline permit is forged, of someone else or another device, expired, revoked, or
    /// all its entries are spent.
    PermitInvalid,
    /// The dose raises warnings the user has not confirmed.
    ConfirmationRequired,
    /// Corrections are closed 24 h after the entry, or the entry is already invalidated.
    CorrectionClosed,
    /// The entry is not the user's to change: made under another professional's authority,
    /// or (for a delegate) typed by someone else. A right, not a state: 403, not 409.
    NotYourEntry,
    /// An idempotency key sent again with a different request.
    IdempotencyKeyReused,
    /// A staff member without an approved delegated session, or acting outside it.
    DelegationRequired,
    /// This professional does not (or no longer) let this staff member type for them.
    DelegationNotAllowed,
    /// Already declared (staff member with this CPE number in this structure).
    AlreadyDeclared,
    /// The professional a delegate asks cannot answer now (push sign-in suspended, no phone).
    AuthorityUnavailable,
    /// A Web Push subscription that is not one: endpoint not https (or too long), keys that
    /// are not a P-256 point and a 16-byte secret.
    InvalidPushSubscription,
    /// The owner's last passkey: revoking it would leave no way to sign in.
    LastPasskey,
    DatabaseUnavailable,
    Internal,
    /// The client could not reach the server (set by the SPA, never sent by the server).
    Network,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub fn status(self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::MalformedJson | Self::InvalidIdentifier | Self::InvalidInput => 400,
            Self::InvalidPushSubscription => 400,
            Self::UnsupportedMediaType => 415,
            Self::PayloadTooLarge => 413,
            Self::Unauthenticated | Self::SessionExpired => 401,
            Self::Forbidden | Self::CrossOrigin => 403,
            Self::CeremonyExpired | Self::WebauthnRejected | Self::EnrolmentInvalid => 400,
            Self::RateLimited => 429,
            Self::WrongCode => 400,
            Self::RequestClosed => 409,
            Self::NotApproverDevice => 401,
            Self::InvalidCredentials => 401,
            Self::SecondFactorRequired | Self::PasswordChangeRequired => 403,
            Self::WeakPassword | Self::PasswordReused => 400,
            Self::LotUnusable => 400,
            Self::LotExhausted => 409,
            Self::PermitInvalid => 403,
            Self::ConfirmationRequired | Self::CorrectionClosed | Self::IdempotencyKeyReused => 409,
            Self::Conflict | Self::AlreadyDeclared | Self::AuthorityUnavailable => 409,
            Self::LastPasskey => 409,
            Self::DelegationRequired | Self::DelegationNotAllowed | Self::NotYourEntry => 403,
            Self::DatabaseUnavailable => 503,
            Self::Internal | Self::Network => 500,
        }
    }

    /// The default French message for the code.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotFound => "Cette ressource n'existe pas.",
            Self::MethodNotAllowed => "Cette action n'est pas permise sur cette adresse.",
            Self::MalformedJson => "La requête est mal formée.",
            Self::UnsupportedMediaType => "La requête doit être envoyée au format JSON.",
            Self::PayloadTooLarge => "La requête est trop volumineuse.",
            Self::InvalidIdentifier => "L'identifiant saisi est invalide.",
            Self::InvalidInput => "Une donnée saisie est invalide.",
            Self::Unauthenticated => "Vous devez vous connecter.",
            Self::Forbidden => "Vous n'avez pas le droit d'effectuer cette action.",
            Self::CrossOrigin => "Requête refusée : elle ne vient pas d'une page de Vigie.",
            Self::SessionExpired => "Votre session a expiré : reconnectez-vous.",
            Self::CeremonyExpired => "La demande a expiré : recommencez.",
            Self::WebauthnRejected => "La vérification de votre clé d'accès a échoué.",
            Self::EnrolmentInvalid => "Ce lien d'activation est invalide ou a expiré.",
            Self::RateLimited => "Trop de demandes : patientez avant de réessayer.",
            Self::Conflict => "Cette opération entre en conflit avec une autre.",
            Self::WrongCode => "Le code saisi ne correspond pas à celui affiché sur le poste.",
            Self::RequestClosed => "Cette demande n'est plus en attente.",
            Self::NotApproverDevice => {
                "Ce téléphone n'est pas activé : activez l'application de validation."
            }
            Self::InvalidCredentials => {
                "Identifiant ou mot de passe incorrect. Après 5 erreurs, le compte est bloqué 15 minutes."
            }
            Self::SecondFactorRequired => {
                "Saisissez le code reçu par SMS avant d'accéder aux données de santé."
            }
            Self::PasswordChangeRequired => {
                "Votre mot de passe a expiré ou doit être remplacé : choisissez-en un nouveau."
            }
            Self::WeakPassword => "Ce mot de passe est trop facile à deviner.",
            Self::PasswordReused => {
                "Ce mot de passe a déjà été utilisé : choisissez-en un que vous n'avez jamais employé."
            }
            Self::LotUnusable => {
                "Ce lot ne peut pas être utilisé (périmé, désactivé ou d'un autre vaccin)."
            }
            Self::LotExhausted => {
                "Ce lot est épuisé : toutes ses doses sont utilisées ou déclarées perdues."
            }
            Self::PermitInvalid => {
                "Cette autorisation de saisie hors ligne n'est pas (ou plus) valable pour cet appareil."
            }
            Self::ConfirmationRequired => {
                "Cette injection appelle une confirmation explicite : relisez les avertissements."
            }
            Self::CorrectionClosed => {
                "Cette saisie ne peut plus être corrigée (24 heures passées, ou elle a déjà été invalidée)."
            }
            Self::NotYourEntry => {
                "Cette saisie a été faite sous la responsabilité d'un autre professionnel, ou par quelqu'un d'autre : vous ne pouvez pas la modifier."
            }
            Self::IdempotencyKeyReused => {
                "Cette saisie a déjà été envoyée avec un contenu différent : rechargez la page."
            }
            Self::DelegationRequired => {
                "Cette action demande une session de saisie déléguée validée par le professionnel, dans sa structure."
            }
            Self::DelegationNotAllowed => {
                "Ce professionnel ne vous autorise pas à saisir sous sa responsabilité (ou vous n'êtes plus déclaré(e) par la structure)."
            }
            Self::AlreadyDeclared => "Cette personne est déjà déclarée dans cette structure.",
            Self::AuthorityUnavailable => {
                "Ce professionnel ne peut pas valider de demande sur son téléphone pour le moment."
            }
            Self::InvalidPushSubscription => {
                "L'abonnement aux notifications de ce téléphone est invalide : réactivez les notifications."
            }
            Self::LastPasskey => {
                "C'est votre dernière clé d'accès : créez-en une autre avant de retirer celle-ci, sinon vous ne pourriez plus vous connecter."
            }
            Self::DatabaseUnavailable => "Le service est momentanément indisponible.",
            Self::Internal => "Une erreur interne est survenue. Réessayez plus tard.",
            Self::Network => "Le serveur est injoignable : vérifiez votre connexion.",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    /// French, for the user.
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code, code.message())
    }
}

impl From<IdError> for ApiError {
    fn from(e: IdError) -> Self {
        Self::new(ErrorCode::InvalidIdentifier, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_stable_snake_case() {
        let e = ApiError::from(ErrorCode::PayloadTooLarge);
        let json = serde_json::to_value(&e).expect("serialise");
        assert_eq!(json["code"], "payload_too_large");
        assert_eq!(ErrorCode::PayloadTooLarge.status(), 413);
        let back: ApiError = serde_json::from_value(json).expect("parse");
        assert_eq!(back, e);
    }
}
