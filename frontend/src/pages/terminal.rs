//! "/terminal": sign in on a shared tablet by approval on one's phone (e-CPS style). The
//! tablet shows a 6-digit code and its QR code; the professional types (or scans) it on the
//! phone and confirms with PIN/biometrics. The request's status is followed live, and the
//! session is claimed as soon as the phone approves.

use chrono::{DateTime, Utc};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;
use uuid::Uuid;
use vigie_shared::{
    ErrorCode, NationalId,
    api::approval::{
        ApprovalCreate, ApprovalCreated, ApprovalEvent, ApprovalState, ApprovalStatus,
    },
};

use super::set_title;
use crate::{
    api,
    components::identifier::{NationalIdField, NationalIdInput},
    format,
    live::{LiveStream, StreamSlot},
    session::use_session,
};

/// Where this terminal's name is remembered (it is not secret: the phone shows it).
const LABEL_KEY: &str = "vigie.nom-du-poste";

#[component]
pub fn Terminal() -> impl IntoView {
    set_title("Connexion par téléphone");
    let session = use_session();
    let navigate = use_navigate();

    let national_id = NationalIdInput::new(NationalId::parse, "");
    let label = RwSignal::new(saved_label());
    // The request being followed, and where it stands.
    let request = RwSignal::new(None::<ApprovalCreated>);
    let state = RwSignal::new(None::<ApprovalState>);
    // A failed cancel or session claim.
    let problem = RwSignal::new(None::<String>);
    let stream = StreamSlot::new();
    // Requests already claimed, or already re-read at their expiry: each once only.
    let claimed = StoredValue::new(None::<Uuid>);
    let expiry_checked = StoredValue::new(None::<Uuid>);

    let claim = Action::new_local(move |id: &Uuid| api::approval_claim(*id));
    Effect::new(move |_| match claim.value().get() {
        Some(Ok(signed_in)) => {
            session.signed_in(signed_in);
            navigate("/", Default::default());
        }
        Some(Err(error)) => problem.set(Some(error.message)),
        None => {}
    });

    // A status from the stream or from an answer, for the request on screen only.
    let apply = move |update: ApprovalState| {
        let current = request.with_untracked(|r| r.as_ref().map(|r| r.approval_id));
        if current != Some(update.approval_id) {
            return;
        }
        // A final status is final: a late "pending" (a reconnection) never undoes it.
        if state.with_untracked(|s| s.as_ref().is_some_and(|s| s.status.is_final())) {
            return;
        }
        let (id, status) = (update.approval_id, update.status);
        state.set(Some(update));
        if status == ApprovalStatus::Approved {
            if claimed.get_value() != Some(id) {
                claimed.set_value(Some(id));
                claim.dispatch(id);
            }
        } else if status.is_final() {
            stream.close();
        }
    };
    // Asks the server where the request stands (stream refused, countdown over).
    let reread = move |id: Uuid| {
        spawn_local(async move {
            if let Ok(update) = api::approval_state(id).await {
                apply(update);
            }
        });
    };
    let follow = move |created: &ApprovalCreated| {
        let id = created.approval_id;
        let expires_at = created.expires_at;
        let live = LiveStream::open(&api::approval_events_url(id)).map(|live| {
            live.on("approval_status", move |data| {
                if let Some(update) = read_status(data, expires_at) {
                    apply(update);
                }
            })
            .on_closed(move || reread(id))
        });
        stream.set(live);
    };

    let create = Action::new_local(move |body: &ApprovalCreate| {
        let body = body.clone();
        async move {
            let created = api::approval_create(&body).await?;
            problem.set(None);
            state.set(Some(ApprovalState {
                approval_id: created.approval_id,
                status: ApprovalStatus::Pending,
                message: ApprovalStatus::Pending.label().to_owned(),
                expires_at: created.expires_at,
            }));
            request.set(Some(created.clone()));
            follow(&created);
            Ok::<(), vigie_shared::ApiError>(())
        }
    });
    let creating = create.pending();
    let create_error = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .filter(|_| !creating.get())
    };

    let cancel = Action::new_local(move |id: &Uuid| {
        let id = *id;
        async move {
            match api::approval_cancel(id).await {
                Ok(update) => apply(update),
                // Decided meanwhile (approved, refused, expired): say what happened.
                Err(error)
                    if matches!(error.code, ErrorCode::RequestClosed | ErrorCode::Conflict) =>
                {
                    reread(id);
                }
                Err(error) => problem.set(Some(error.message)),
            }
        }
    });

    let start_over = move |_| {
        stream.close();
        request.set(None);
        state.set(None);
        problem.set(None);
        create.value().set(None);
    };

    // The request's two minutes are over: the server has expired it (or is about to).
    Effect::new(move |_| {
        let Some((id, expires_at)) =
            request.with(|r| r.as_ref().map(|r| (r.approval_id, r.expires_at)))
        else {
            return;
        };
        let pending = state.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.status == ApprovalStatus::Pending)
        });
        if pending && session.now() >= expires_at && expiry_checked.get_value() != Some(id) {
            expiry_checked.set_value(Some(id));
            reread(id);
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(national_id) = national_id.value() else {
            return;
        };
        if creating.get_untracked() {
            return;
        }
        let terminal_label = label.get_untracked().trim().to_owned();
        save_label(&terminal_label);
        create.dispatch(ApprovalCreate {
            national_id,
            terminal_label: (!terminal_label.is_empty()).then_some(terminal_label),
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
                <div class="field">
                    <label for="nom-du-poste">"Nom de ce poste"</label>
                    <p id="nom-du-poste-aide" class="hint">
                        "Facultatif, par exemple « Tablette 3 » : votre téléphone l'affichera."
                    </p>
                    <input
                        id="nom-du-poste"
                        name="terminal"
                        type="text"
                        maxlength="60"
                        autocomplete="off"
                        aria-describedby="nom-du-poste-aide"
                        prop:value=move || label.get()
                        on:input=move |ev| label.set(event_target_value(&ev))
                    />
                </div>
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
                {move || {
                    create_error()
                        .map(|error| {
                            view! {
                                <p role="alert" class="alert alert-error" data-testid="push-error">
                                    {error.message}
                                </p>
                            }
                        })
                }}
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
        let expires_at = created.expires_at;
        let status = move || state.with(|s| s.as_ref().map(|s| s.status));
        let is_pending = move || status() == Some(ApprovalStatus::Pending);
        let can_restart = move || {
            matches!(status(), Some(s) if s.is_final() && s != ApprovalStatus::Approved)
                || problem.with(Option::is_some)
        };
        let status_class = move || match status() {
            Some(ApprovalStatus::Pending) | None => "push-status",
            Some(ApprovalStatus::Approved) => "push-status push-status-ok",
            Some(_) => "push-status push-status-ko",
        };
        let id = created.approval_id;
        view! {
            <section class="card push-wait" aria-labelledby="push-titre">
                <h2 id="push-titre">"Validez sur votre téléphone"</h2>
                <p>
                    "Sur votre téléphone, ouvrez Vigie, saisissez ce code (ou scannez le QR code), \
                     puis confirmez avec votre code ou votre empreinte."
                </p>
                <div class="push-codes">
                    <p class="push-code" data-testid="push-code">
                        {spaced(&created.code)}
                    </p>
                    <div
                        class="qr push-qr"
                        data-testid="push-qr"
                        role="img"
                        aria-label="QR code du code à saisir sur le téléphone"
                        inner_html=created.qr_svg
                    ></div>
                </div>
                <p class=status_class data-testid="push-status" aria-live="polite">
                    {move || state.with(|s| s.as_ref().map(|s| s.message.clone()))}
                    {move || {
                        (status() == Some(ApprovalStatus::Approved) && problem.with(Option::is_none))
                            .then_some(" — connexion en cours…")
                    }}
                </p>
                <Show when=is_pending>
                    <p class="push-countdown" data-testid="push-countdown">
                        "Expire dans "
                        <span class="push-clock">
                            {move || format::clock(expires_at - session.now())}
                        </span>
                    </p>
                </Show>
                {move || {
                    problem
                        .get()
                        .map(|message| {
                            view! {
                                <p role="alert" class="alert alert-error" data-testid="push-problem">
                                    {message}
                                </p>
                            }
                        })
                }}
                <div class="actions">
                    <Show when=is_pending>
                        <button
                            type="button"
                            class="button button-quiet"
                            data-testid="push-cancel"
                            disabled=move || cancel.pending().get()
                            on:click=move |_| {
                                cancel.dispatch(id);
                            }
                        >
                            "Annuler la demande"
                        </button>
                    </Show>
                    <Show when=can_restart>
                        <button type="button" class="button" data-testid="push-restart" on:click=start_over>
                            "Nouvelle demande"
                        </button>
                    </Show>
                </div>
            </section>
        }
    };

    view! {
        <h1>"Connexion par validation sur téléphone"</h1>
        {move || match request.get() {
            None => form().into_any(),
            Some(created) => waiting(created).into_any(),
        }}
    }
}

/// An `approval_status` event: the full state first, then bare status changes.
fn read_status(data: &str, expires_at: DateTime<Utc>) -> Option<ApprovalState> {
    if let Ok(state) = serde_json::from_str::<ApprovalState>(data) {
        return Some(state);
    }
    let event = serde_json::from_str::<ApprovalEvent>(data).ok()?;
    Some(ApprovalState {
        approval_id: event.approval_id,
        status: event.status,
        message: event.status.label().to_owned(),
        expires_at,
    })
}

/// "123 456": two groups of three, easier to read aloud and to type.
fn spaced(code: &str) -> String {
    if code.len() == 6 && code.is_ascii() {
        format!("{} {}", &code[..3], &code[3..])
    } else {
        code.to_owned()
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn saved_label() -> String {
    storage()
        .and_then(|s| s.get_item(LABEL_KEY).ok().flatten())
        .unwrap_or_default()
}

fn save_label(label: &str) {
    if let Some(storage) = storage() {
        let _ = if label.is_empty() {
            storage.remove_item(LABEL_KEY)
        } else {
            storage.set_item(LABEL_KEY, label)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_shown_in_two_groups() {
        assert_eq!(spaced("123456"), "123 456");
        assert_eq!(spaced("12345"), "12345");
    }

    #[test]
    fn both_event_shapes_are_read() {
        let id = Uuid::nil();
        let expires_at = DateTime::from_timestamp(1_795_000_000, 0).expect("timestamp");
        let first = serde_json::to_string(&ApprovalState {
            approval_id: id,
            status: ApprovalStatus::Pending,
            message: "En attente".into(),
            expires_at,
        })
        .expect("json");
        assert_eq!(
            read_status(&first, expires_at).map(|s| s.message),
            Some("En attente".into())
        );
        let later = serde_json::to_string(&ApprovalEvent {
            approval_id: id,
            status: ApprovalStatus::Reported,
        })
        .expect("json");
        let state = read_status(&later, expires_at).expect("event");
        assert_eq!(state.status, ApprovalStatus::Reported);
        assert_eq!(state.message, "Demande refusée sur le téléphone");
        assert_eq!(read_status("{}", expires_at), None);
    }
}
