//! The browser half of passkey ceremonies: hands the server's options to
//! `navigator.credentials.create/get` and returns the authenticator's answer for the server
//! to verify. Nothing is decided here; the server holds the ceremony state and checks it all.

use js_sys::Reflect;
use vigie_shared::{
    ApiError, ErrorCode,
    api::passkey::{
        CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
        RequestChallengeResponse,
    },
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Creates a passkey on this device (activation).
pub async fn create_passkey(
    options: CreationChallengeResponse,
) -> Result<RegisterPublicKeyCredential, ApiError> {
    let container = credentials()?;
    let options = web_sys::CredentialCreationOptions::from(options);
    let promise = container.create_with_options(&options).map_err(refused)?;
    let answer = JsFuture::from(promise).await.map_err(refused)?;
    Ok(RegisterPublicKeyCredential::from(public_key_credential(
        answer,
    )?))
}

/// Signs the server's challenge with a passkey of this device or a security key (sign-in).
pub async fn use_passkey(
    options: RequestChallengeResponse,
) -> Result<PublicKeyCredential, ApiError> {
    let container = credentials()?;
    let options = web_sys::CredentialRequestOptions::from(options);
    let promise = container.get_with_options(&options).map_err(refused)?;
    let answer = JsFuture::from(promise).await.map_err(refused)?;
    Ok(PublicKeyCredential::from(public_key_credential(answer)?))
}

fn credentials() -> Result<web_sys::CredentialsContainer, ApiError> {
    let window = web_sys::window().ok_or_else(unsupported)?;
    // Absent in old browsers and on pages not served over https (or localhost).
    let supported =
        Reflect::has(&window, &JsValue::from_str("PublicKeyCredential")).unwrap_or(false);
    if !supported {
        return Err(unsupported());
    }
    Ok(window.navigator().credentials())
}

fn public_key_credential(answer: JsValue) -> Result<web_sys::PublicKeyCredential, ApiError> {
    answer
        .dyn_into::<web_sys::PublicKeyCredential>()
        .map_err(|_| ApiError::new(ErrorCode::WebauthnRejected, refusal_message("")))
}

fn unsupported() -> ApiError {
    ApiError::new(
        ErrorCode::WebauthnRejected,
        "Ce navigateur ne permet pas d'utiliser une clé d'accès. Utilisez un navigateur récent, \
         sur une adresse sécurisée (https).",
    )
}

/// The browser refused or failed: a `DOMException` whose `name` says why.
fn refused(error: JsValue) -> ApiError {
    let name = Reflect::get(&error, &JsValue::from_str("name"))
        .ok()
        .and_then(|name| name.as_string())
        .unwrap_or_default();
    ApiError::new(ErrorCode::WebauthnRejected, refusal_message(&name))
}

/// French wording for the WebAuthn error names browsers use.
pub fn refusal_message(name: &str) -> &'static str {
    match name {
        // Browsers say NotAllowedError both for "Annuler" and for the timeout, on purpose
        // (so a page cannot tell whether a passkey exists).
        "NotAllowedError" => {
            "La demande a été annulée ou le délai est dépassé. Réessayez quand vous êtes prêt."
        }
        "AbortError" => "La demande a été interrompue. Réessayez.",
        "InvalidStateError" => {
            "Cet appareil possède déjà une clé d'accès pour votre compte : connectez-vous avec elle."
        }
        "NotSupportedError" => {
            "Cet appareil ne propose pas de clé d'accès compatible. Essayez un autre appareil ou une clé de sécurité."
        }
        "SecurityError" => {
            "Le navigateur refuse d'utiliser une clé d'accès sur cette adresse. Vérifiez que l'adresse est bien celle de Vigie."
        }
        "ConstraintError" => {
            "Cet appareil ne peut pas vérifier votre identité (code, schéma ou biométrie). Activez un verrouillage de l'écran, puis réessayez."
        }
        _ => "La clé d'accès n'a pas pu être utilisée. Réessayez.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelling_reads_as_cancelled() {
        assert!(refusal_message("NotAllowedError").contains("annulée"));
        assert!(refusal_message("InvalidStateError").contains("déjà"));
        assert_eq!(
            refusal_message("SomethingNew"),
            "La clé d'accès n'a pas pu être utilisée. Réessayez."
        );
    }
}
