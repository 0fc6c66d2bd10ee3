//! Enrolled terminals, on the tablet: its device key (WebCrypto, non-extractable, kept in
//! IndexedDB by `public/device-key.js`), the signature sent with each request over a fresh
//! server nonce, and the banner saying whether this tablet is enrolled. The structure page's
//! enrolment and list are in `manage`.

pub mod manage;

use leptos::prelude::*;
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::terminal::{
        EnrolledTerminalView, NonceRequest, SignedPurpose, TerminalEnrolment, TerminalIdentity,
        TerminalNonce, TerminalProof, signed_message,
    },
};
use wasm_bindgen::prelude::*;

use crate::api::{self, ApiResult};

#[wasm_bindgen(module = "/../public/device-key.js")]
extern "C" {
    #[wasm_bindgen(js_name = newDeviceKey, catch)]
    async fn new_device_key() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = setDeviceTerminal, catch)]
    async fn set_device_terminal(id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = deviceTerminal, catch)]
    async fn device_terminal() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = deviceSign, catch)]
    async fn device_sign(message: &str) -> Result<JsValue, JsValue>;
}

fn device_error(_: JsValue) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidInput,
        "Ce navigateur ne peut pas créer ou utiliser la clé du poste (WebCrypto, IndexedDB).",
    )
}

/// The enrolled terminal this browser holds a key for, if any.
pub async fn stored_terminal() -> Option<Uuid> {
    device_terminal()
        .await
        .ok()?
        .as_string()
        .and_then(|id| Uuid::parse_str(&id).ok())
}

/// This tablet's signature for a request (`purpose`, over `subject`), when it holds an
/// enrolled key; `None` otherwise (the request is then sent unsigned: "Poste inconnu").
pub async fn proof(purpose: SignedPurpose, subject: &str) -> Option<TerminalProof> {
    let terminal_id = stored_terminal().await?;
    let nonce: TerminalNonce = api::post("/api/terminals/nonce", &NonceRequest { terminal_id })
        .await
        .ok()?;
    let signature = device_sign(&signed_message(purpose, &nonce.nonce, subject))
        .await
        .ok()?
        .as_string()?;
    Some(TerminalProof {
        terminal_id,
        nonce: nonce.nonce,
        signature,
    })
}

/// Which enrolled terminal this tablet is, proven by its key (`None`: not enrolled, revoked).
pub async fn identify() -> Option<TerminalIdentity> {
    let id = stored_terminal().await?;
    let proof = proof(SignedPurpose::Identify, &id.to_string()).await?;
    api::post("/api/terminals/identify", &proof).await.ok()
}

/// Manager, on the tablet: a new device key, enrolled under `name` in the structure.
pub async fn enrol(structure: Uuid, name: &str) -> ApiResult<EnrolledTerminalView> {
    let public_key = new_device_key()
        .await
        .map_err(device_error)?
        .as_string()
        .ok_or_else(|| device_error(JsValue::NULL))?;
    let body = TerminalEnrolment {
        name: name.to_owned(),
        public_key,
    };
    let enrolled: EnrolledTerminalView =
        api::post(&format!("/api/structures/{structure}/terminals"), &body).await?;
    set_device_terminal(&enrolled.id.to_string())
        .await
        .map_err(device_error)?;
    Ok(enrolled)
}

/// At the top of the tablet's sign-in pages: whether this tablet is enrolled, and as what.
#[component]
pub fn TerminalBadge() -> impl IntoView {
    let identity = LocalResource::new(identify);
    move || match identity.get() {
        // Its room is kept while the tablet's key is read: the form below does not jump.
        None => view! {
            <p class="terminal-badge terminal-pending" aria-hidden="true">
                "Poste…"
            </p>
        }
        .into_any(),
        Some(Some(t)) => view! {
            <p class="terminal-badge terminal-enrolled" data-testid="terminal-badge">
                {format!("Poste enregistré : {} — {}", t.name, t.structure_name)}
            </p>
        }
        .into_any(),
        Some(None) => view! {
            <p class="terminal-badge terminal-unknown" data-testid="terminal-badge">
                "Poste non enregistré"
            </p>
        }
        .into_any(),
    }
}
