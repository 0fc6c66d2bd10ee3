//! A request approved on the professional's phone, as the tablet follows it: the 6-digit code
//! and its QR code shown big, the status live (SSE, re-read when the stream is refused or the
//! two minutes are over), "Annuler la demande", and the session claimed as soon as the phone
//! approves. Shared by push sign-in (`/terminal`) and delegated entry (`/personnel`): only how
//! the request is made differs.

use chrono::{DateTime, Utc};
use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::{
        approval::{ApprovalCreated, ApprovalEvent, ApprovalState, ApprovalStatus},
        live::RequestEvent,
    },
    routes::Page,
};

use crate::{
    api,
    components::text_field::TextField,
    format,
    live::{LiveStream, StreamSlot},
    prefetch::prefetch_app,
    session::use_session,
    shell::Navigator,
};

/// Where this terminal's name is remembered (it is not secret: the phone shows it).
const LABEL_KEY: &str = "vigie.nom-du-poste";

/// The request on screen and where it stands. `Copy`: every handler holds it.
#[derive(Clone, Copy)]
pub struct PushFlow {
    /// The request being followed, if any.
    pub request: RwSignal<Option<ApprovalCreated>>,
    state: RwSignal<Option<ApprovalState>>,
    /// A failed cancel or session claim.
    problem: RwSignal<Option<String>>,
    stream: StreamSlot,
    /// Requests already claimed, or already re-read at their expiry: each once only.
    claimed: StoredValue<Option<Uuid>>,
    expiry_checked: StoredValue<Option<Uuid>>,
    claim: Action<Uuid, ()>,
}

impl PushFlow {
    /// Once approved, the session is claimed and the app goes to `destination`.
    pub fn new(destination: &'static str) -> Self {
        let session = use_session();
        let navigator = Navigator::new();
        let problem = RwSignal::new(None::<String>);
        let claim = Action::new_local(move |id: &Uuid| {
            let id = *id;
            let navigator = navigator.clone();
            async move {
                match api::approval_claim(id).await {
                    Ok(signed_in) => {
                        session.signed_in(signed_in);
                        navigator.go(destination);
                    }
                    Err(error) => problem.set(Some(error.message)),
                }
            }
        });
        let flow = Self {
            request: RwSignal::new(None),
            state: RwSignal::new(None),
            problem,
            stream: StreamSlot::new(),
            claimed: StoredValue::new(None),
            expiry_checked: StoredValue::new(None),
            claim,
        };
        // The request's two minutes are over: the server has expired it (or is about to).
        Effect::new(move |_| {
            let Some((id, expires_at)) = flow
                .request
                .with(|r| r.as_ref().map(|r| (r.approval_id, r.expires_at)))
            else {
                return;
            };
            if flow.status() == Some(ApprovalStatus::Pending)
                && session.now() >= expires_at
                && flow.expiry_checked.get_value() != Some(id)
            {
                flow.expiry_checked.set_value(Some(id));
                flow.reread(id);
            }
        });
        flow
    }

    /// Shows a request just made, and follows it live.
    pub fn start(self, created: ApprovalCreated) {
        self.problem.set(None);
        self.state.set(Some(ApprovalState {
            approval_id: created.approval_id,
            status: ApprovalStatus::Pending,
            message: ApprovalStatus::Pending.label().to_owned(),
            expires_at: created.expires_at,
        }));
        let (id, expires_at) = (created.approval_id, created.expires_at);
        self.request.set(Some(created));
        // Dose entry opens once the phone approves: fetched during the wait.
        prefetch_app(Page::Vaccination);
        let live = LiveStream::open(&api::approval_events_url(id)).map(|live| {
            live.on_event(move |event| match event {
                RequestEvent::ApprovalState(state) => self.apply(state),
                RequestEvent::ApprovalStatus(moved) => self.apply(status_of(moved, expires_at)),
                RequestEvent::Other(_) => {}
            })
            .on_closed(move || self.reread(id))
        });
        self.stream.set(live);
    }

    /// Back to the form.
    pub fn reset(self) {
        self.stream.close();
        self.request.set(None);
        self.state.set(None);
        self.problem.set(None);
    }

    fn status(self) -> Option<ApprovalStatus> {
        self.state.with(|s| s.as_ref().map(|s| s.status))
    }

    /// A status from the stream or from an answer, for the request on screen only.
    fn apply(self, update: ApprovalState) {
        let current = self
            .request
            .with_untracked(|r| r.as_ref().map(|r| r.approval_id));
        if current != Some(update.approval_id) {
            return;
        }
        // A final status is final: a late "pending" (a reconnection) never undoes it.
        if self
            .state
            .with_untracked(|s| s.as_ref().is_some_and(|s| s.status.is_final()))
        {
            return;
        }
        let (id, status) = (update.approval_id, update.status);
        self.state.set(Some(update));
        if status == ApprovalStatus::Approved {
            if self.claimed.get_value() != Some(id) {
                self.claimed.set_value(Some(id));
                self.claim.dispatch(id);
            }
        } else if status.is_final() {
            self.stream.close();
        }
    }

    /// Asks the server where the request stands (stream refused, countdown over).
    fn reread(self, id: Uuid) {
        spawn_local(async move {
            if let Ok(update) = api::approval_state(id).await {
                self.apply(update);
            }
        });
    }

    async fn cancel(self, id: Uuid) {
        match api::approval_cancel(id).await {
            Ok(update) => self.apply(update),
            // Decided meanwhile (approved, refused, expired): say what happened.
            Err(error) if matches!(error.code, ErrorCode::RequestClosed | ErrorCode::Conflict) => {
                self.reread(id);
            }
            Err(error) => {
                self.problem.try_set(Some(error.message));
            }
        }
    }
}

/// The code, its QR code and the live status of the request on screen.
#[component]
pub fn PushWait(
    flow: PushFlow,
    created: ApprovalCreated,
    title: String,
    /// What to do on the phone.
    instructions: String,
) -> impl IntoView {
    let session = use_session();
    let expires_at = created.expires_at;
    let status = move || flow.status();
    let is_pending = move || status() == Some(ApprovalStatus::Pending);
    let can_restart = move || {
        matches!(status(), Some(s) if s.is_final() && s != ApprovalStatus::Approved)
            || flow.problem.with(Option::is_some)
    };
    let status_class = move || match status() {
        Some(ApprovalStatus::Pending) | None => "push-status",
        Some(ApprovalStatus::Approved) => "push-status push-status-ok",
        Some(_) => "push-status push-status-ko",
    };
    let cancelling = RwSignal::new(false);
    let id = created.approval_id;
    view! {
        <section class="card push-wait" aria-labelledby="push-titre">
            <h2 id="push-titre">{title}</h2>
            <p>{instructions}</p>
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
                {move || flow.state.with(|s| s.as_ref().map(|s| s.message.clone()))}
                {move || {
                    (status() == Some(ApprovalStatus::Approved) && flow.problem.with(Option::is_none))
                        .then_some(" — connexion en cours…")
                }}
            </p>
            <Show when=is_pending>
                <p class="push-countdown" data-testid="push-countdown">
                    "Expire dans "
                    <span class="push-clock">{move || format::clock(expires_at - session.now())}</span>
                </p>
            </Show>
            {move || {
                flow.problem
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
                        disabled=move || cancelling.get()
                        on:click=move |_| {
                            cancelling.set(true);
                            spawn_local(async move {
                                flow.cancel(id).await;
                                cancelling.try_set(false);
                            });
                        }
                    >
                        "Annuler la demande"
                    </button>
                </Show>
                <Show when=can_restart>
                    <button
                        type="button"
                        class="button"
                        data-testid="push-restart"
                        on:click=move |_| flow.reset()
                    >
                        "Nouvelle demande"
                    </button>
                </Show>
            </div>
        </section>
    }
}

/// "Nom de ce poste": remembered on this device, shown on the phone.
#[component]
pub fn TerminalLabelField(label: RwSignal<String>) -> impl IntoView {
    view! {
        <TextField
            id="nom-du-poste"
            label="Nom de ce poste"
            hint="Facultatif, par exemple « Tablette 3 » : le téléphone l'affichera."
            value=label
            maxlength=60
        />
    }
}

/// A bare status change, as the state shown (the stream sends the full state first).
fn status_of(event: ApprovalEvent, expires_at: DateTime<Utc>) -> ApprovalState {
    ApprovalState {
        approval_id: event.approval_id,
        status: event.status,
        message: event.status.label().to_owned(),
        expires_at,
    }
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

/// The name this terminal was given last time.
pub fn saved_label() -> String {
    storage()
        .and_then(|s| s.get_item(LABEL_KEY).ok().flatten())
        .unwrap_or_default()
}

/// Remembers the name typed (or forgets it when cleared); `None` when there is none.
pub fn save_label(label: &str) -> Option<String> {
    let label = label.trim();
    if let Some(storage) = storage() {
        let _ = if label.is_empty() {
            storage.remove_item(LABEL_KEY)
        } else {
            storage.set_item(LABEL_KEY, label)
        };
    }
    (!label.is_empty()).then(|| label.to_owned())
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
    fn a_bare_status_change_reads_as_the_state_shown() {
        let id = Uuid::nil();
        let expires_at = DateTime::from_timestamp(1_795_000_000, 0).expect("timestamp");
        // As the server sends it.
        let wire = r#"{"kind":"approval_status","data":{"approval_id":"00000000-0000-0000-0000-000000000000","status":"reported"}}"#;
        let Ok(RequestEvent::ApprovalStatus(moved)) = serde_json::from_str::<RequestEvent>(wire)
        else {
            panic!("an approval_status event");
        };
        let state = status_of(moved, expires_at);
        assert_eq!(state.approval_id, id);
        assert_eq!(state.status, ApprovalStatus::Reported);
        assert_eq!(state.message, "Demande refusée sur le téléphone");
        assert_eq!(state.expires_at, expires_at);
    }
}
