//! "/terminal": sign in on a shared tablet by approval on one's phone (e-CPS style). The
//! tablet shows a 6-digit code and its QR code; the professional types (or scans) it on the
//! phone and confirms with PIN/biometrics. The request's status is followed live, and the
//! session is claimed as soon as the phone approves; the tablet then opens the vaccination
//! entry.

use leptos::prelude::*;
use vigie_shared::{
    NationalId,
    api::approval::{ApprovalCreate, ApprovalCreated},
};

use super::{SIGNED_IN_HOME, set_title};
use crate::{
    api,
    components::{
        alerts::{error_alert, last_error},
        identifier::{NationalIdField, NationalIdInput},
        push_request::{PushFlow, PushWait, TerminalLabelField, save_label, saved_label},
    },
};

#[component]
pub fn Terminal() -> impl IntoView {
    set_title("Connexion par téléphone");
    let national_id = NationalIdInput::new(NationalId::parse, "");
    let label = RwSignal::new(saved_label());
    let flow = PushFlow::new(SIGNED_IN_HOME);

    let create = Action::new_local(move |body: &ApprovalCreate| {
        let mut body = body.clone();
        async move {
            // Signed by this tablet's device key when it is enrolled.
            body.terminal_proof = crate::terminals::proof(
                vigie_shared::api::terminal::SignedPurpose::Push,
                body.national_id.as_str(),
            )
            .await;
            flow.start(api::approval_create(&body).await?);
            Ok::<(), vigie_shared::ApiError>(())
        }
    });
    let creating = create.pending();
    let create_error = last_error(create);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(national_id) = national_id.value() else {
            return;
        };
        if creating.get_untracked() {
            return;
        }
        create.value().set(None);
        create.dispatch(ApprovalCreate {
            national_id,
            terminal_label: save_label(&label.get_untracked()),
            terminal_proof: None,
        });
    };

    let form = move || {
        view! {
            <p class="lead">
                "Saisissez votre identifiant : votre téléphone affiche la demande. Vous y tapez le code \
                 qui s'affichera ici, puis vous confirmez avec votre code ou votre empreinte."
            </p>
            <form class="card form" on:submit=on_submit novalidate>
                <NationalIdField input=national_id id="terminal-identifiant" />
                <TerminalLabelField label />
                <button
                    type="submit"
                    class="button button-wide"
                    data-testid="push-submit"
                    disabled=move || national_id.is_invalid() || creating.get()
                >
                    {move || {
                        if creating.get() { "Envoi en cours…" } else { "Recevoir la demande sur mon téléphone" }
                    }}
                </button>
                {error_alert(move || create_error().map(|e| e.message), "push-error")}
            </form>
            <p>
                <a href="/connexion">"Se connecter avec une clé d'accès"</a>
            </p>
            <p class="muted">
                "Votre téléphone n'est pas encore activé ? Ouvrez Vigie sur le téléphone, page « Validation »."
            </p>
        }
    };

    let waiting = move |created: ApprovalCreated| {
        view! {
            <PushWait
                flow
                created
                title="Validez sur votre téléphone".to_owned()
                instructions="Sur votre téléphone, ouvrez Vigie, saisissez ce code (ou scannez le QR code), \
                              puis confirmez avec votre code ou votre empreinte."
                    .to_owned()
            />
        }
    };

    view! {
        <h1>"Connexion par validation sur téléphone"</h1>
        <crate::terminals::TerminalBadge />
        {move || match flow.request.get() {
            None => form().into_any(),
            Some(created) => waiting(created).into_any(),
        }}
    }
}
