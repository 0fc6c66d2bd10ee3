//! Passkey sign-in: the identifier (checked as typed, so a malformed one never leaves the
//! device), then the server's challenge signed on this device, then the session the server
//! opens. Professionals sign in by national identifier (`/connexion`), staff members by CPE
//! card number (`/personnel`): only the endpoints differ.

use leptos::prelude::*;
use vigie_shared::{
    ApiError, CpeNumber, NationalId,
    api::{
        passkey::{AuthenticationChallenge, AuthenticationFinish},
        session::SessionState,
    },
};

use crate::{
    api::{self, ApiResult},
    components::{
        alerts::{error_alert, last_error},
        identifier::IdentifierInput,
    },
    session::use_session,
    shell::Navigator,
    webauthn,
};

/// Who signs in with a passkey: where the ceremony starts and ends on the server.
// Only this crate implements it, on one thread (wasm): no `Send` bound on the futures needed.
#[allow(async_fn_in_trait)]
pub trait PasskeyIdentity: Clone + Send + Sync + 'static {
    async fn start(&self) -> ApiResult<AuthenticationChallenge>;
    async fn finish(body: &AuthenticationFinish) -> ApiResult<SessionState>;
}

impl PasskeyIdentity for NationalId {
    async fn start(&self) -> ApiResult<AuthenticationChallenge> {
        api::authentication_start(self).await
    }

    async fn finish(body: &AuthenticationFinish) -> ApiResult<SessionState> {
        api::authentication_finish(body).await
    }
}

impl PasskeyIdentity for CpeNumber {
    async fn start(&self) -> ApiResult<AuthenticationChallenge> {
        api::staff_sign_in_start(self).await
    }

    async fn finish(body: &AuthenticationFinish) -> ApiResult<SessionState> {
        api::staff_sign_in_finish(body).await
    }
}

async fn sign_in<T: PasskeyIdentity>(identity: T) -> ApiResult<SessionState> {
    let challenge = identity.start().await?;
    let credential = webauthn::use_passkey(challenge.options).await?;
    T::finish(&AuthenticationFinish {
        ceremony_id: challenge.ceremony_id,
        credential,
    })
    .await
}

/// The form: the identifier's field (children), the button, the error.
#[component]
pub fn PasskeySignInForm<T: PasskeyIdentity>(
    input: IdentifierInput<T>,
    /// Where to go once signed in; none: the page follows the session by itself.
    #[prop(optional)]
    destination: Option<&'static str>,
    #[prop(optional)] title: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let session = use_session();
    let navigator = Navigator::new();
    let action = Action::new_local(move |identity: &T| {
        let identity = identity.clone();
        let navigator = navigator.clone();
        async move {
            session.signed_in(sign_in(identity).await?);
            if let Some(destination) = destination {
                navigator.go(destination);
            }
            Ok::<(), ApiError>(())
        }
    });
    let pending = action.pending();
    let failure = last_error(action);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(identity) = input.value()
            && !pending.get_untracked()
        {
            action.dispatch(identity);
        }
    };

    view! {
        <form class="card form" on:submit=on_submit novalidate>
            {title.map(|title| view! { <h2>{title}</h2> })}
            {children()}
            <button
                type="submit"
                class="button button-wide"
                data-testid="sign-in-submit"
                disabled=move || input.is_invalid() || pending.get()
            >
                {move || {
                    if pending.get() { "Vérification en cours…" } else { "Se connecter avec ma clé d'accès" }
                }}
            </button>
            {error_alert(move || failure().map(|error| error.message), "sign-in-error")}
        </form>
    }
}
