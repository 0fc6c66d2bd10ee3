//! "/validation": the approver app on the professional's phone. Sign-in requests arrive live,
//! with their context; approving takes the code shown on the terminal, then PIN/biometrics
//! (the passkey of this phone). "Quitter l'authentification" refuses with one tap; "Ce n'est
//! pas moi" also reports fraud. A phone not yet activated gets the activation form instead.

use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::{
        approval::{ApprovalConfirm, PendingApproval},
        live::LiveEvent,
    },
};

use super::{activation::ActivationRequest, fragment_value, set_title, take_fragment};
use crate::{
    api,
    components::code_field::{CodeField, is_complete},
    format,
    live::{LiveList, LiveStream},
    session::{SessionContext, use_session},
    webauthn,
};

const REFUSED: &str = "Demande refusée : le poste en est informé.";
const REPORTED: &str = "Merci : votre signalement a été transmis. La connexion par validation \
sur téléphone est suspendue 24 h pour votre identifiant ; la connexion par clé d'accès reste possible.";
const CLOSED: &str = "Cette demande n'est plus en attente.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Loading,
    NotActivated,
    Ready,
}

/// What the cards share: the list, and the outcome of the last decision.
#[derive(Clone, Copy)]
struct Inbox {
    requests: RwSignal<Vec<PendingApproval>>,
    notice: RwSignal<Option<String>>,
}

impl Inbox {
    fn add(self, request: PendingApproval) {
        self.requests.update(|list| {
            if list.iter().all(|r| r.approval_id != request.approval_id) {
                list.push(request);
                newest_first(list);
            }
        });
    }

    /// A decided request leaves the list, with a word about what happened.
    fn settle(self, id: Uuid, notice: Option<String>) {
        self.requests
            .update(|list| list.retain(|r| r.approval_id != id));
        if notice.is_some() {
            self.notice.set(notice);
        }
    }
}

#[component]
pub fn Validation() -> impl IntoView {
    set_title("Validation des connexions");
    let session = use_session();
    // Opened by scanning the terminal's QR code: `#demande=<id>&code=<6 digits>` fills the code in.
    let scanned = StoredValue::new({
        let fragment = take_fragment();
        fragment_value(&fragment, "demande")
            .and_then(|id| Uuid::parse_str(&id).ok())
            .zip(fragment_value(&fragment, "code"))
    });
    let mode = RwSignal::new(Mode::Loading);
    let inbox = Inbox {
        requests: RwSignal::new(Vec::new()),
        notice: RwSignal::new(None),
    };
    // A failed read of the list.
    let problem = RwSignal::new(None::<String>);
    let list = LiveList::new();

    let open_stream = move || {
        LiveStream::open(api::APPROVER_EVENTS_URL).map(|live| {
            live.on_event(move |event| match event {
                LiveEvent::ApprovalRequested(request) => inbox.add(request),
                LiveEvent::ApprovalStatus(moved) => {
                    if moved.status.is_final() {
                        inbox.settle(moved.approval_id, None);
                    }
                }
                // Not on the phone's stream.
                LiveEvent::ApprovalState(_)
                | LiveEvent::SessionEnded(_)
                | LiveEvent::EntryContested(_)
                | LiveEvent::DelegatedSession(_)
                | LiveEvent::DelegatedEntry(_)
                | LiveEvent::DelegatedSessionEnded(_) => {}
            })
            .reloading(list)
        })
    };

    // Whether this browser was found to be an activated phone: until then, each read asks
    // first (no failed request for a visitor), then the list.
    let activated = StoredValue::new(false);
    let read = move || async move {
        if !activated.get_value() {
            if api::approver_presence().await?.is_none() {
                return Ok(None);
            }
            activated.set_value(true);
        }
        api::approver_requests().await.map(Some)
    };
    list.read_with(read, move |answer| match answer {
        Ok(None) => {
            list.close();
            mode.set(Mode::NotActivated);
        }
        Ok(Some(mut requests)) => {
            newest_first(&mut requests);
            problem.set(None);
            inbox.requests.set(requests);
            mode.set(Mode::Ready);
            list.follow(open_stream);
        }
        Err(ApiError {
            code: ErrorCode::NotApproverDevice,
            ..
        }) => {
            // Revoked meanwhile: ask again first next time.
            activated.set_value(false);
            list.close();
            mode.set(Mode::NotActivated);
        }
        Err(error) => problem.set(Some(error.message)),
    });

    // Changes only when the mode does: a reload must not rebuild the cards (typed codes).
    let mode = Memo::new(move |_| mode.get());

    // Requests past their two minutes leave the screen even before the server says so.
    let live_requests = move || {
        let now = session.now();
        inbox
            .requests
            .get()
            .into_iter()
            .filter(|r| r.expires_at > now)
            .collect::<Vec<_>>()
    };

    view! {
        <h1>"Validation des connexions"</h1>
        {move || {
            problem
                .get()
                .map(|message| {
                    view! {
                        <p role="alert" class="alert alert-error" data-testid="validation-error">
                            {message}
                        </p>
                    }
                })
        }}
        {move || match mode.get() {
            Mode::Loading => view! { <p class="muted">"Chargement des demandes…"</p> }.into_any(),
            Mode::NotActivated => {
                view! {
                    <p class="lead">
                        "Ce téléphone n'est pas encore activé : activez-le pour y recevoir et valider \
                         vos demandes de connexion."
                    </p>
                    <ActivationRequest />
                }
                    .into_any()
            }
            Mode::Ready => {
                view! {
                    <p class="lead">
                        "Les demandes de connexion à votre nom s'affichent ici. Validez seulement une \
                         demande que vous venez de faire, avec le code affiché sur le poste."
                    </p>
                    <div role="status" class="notice-area">
                        {move || {
                            inbox
                                .notice
                                .get()
                                .map(|message| {
                                    view! {
                                        <p class="alert alert-info" data-testid="validation-notice">
                                            {message}
                                        </p>
                                    }
                                })
                        }}
                    </div>
                    <Show
                        when=move || !live_requests().is_empty()
                        fallback=|| {
                            view! {
                                <p class="card empty" data-testid="no-request">
                                    "Aucune demande en attente."
                                </p>
                            }
                        }
                    >
                        <ul class="request-list">
                            <For
                                each=live_requests
                                key=|request| request.approval_id
                                children=move |request| {
                                    let prefill = scanned
                                        .get_value()
                                        .filter(|(id, _)| *id == request.approval_id)
                                        .map(|(_, code)| code);
                                    pending_card(request, inbox, session, prefill)
                                }
                            />
                        </ul>
                    </Show>
                }
                    .into_any()
            }
        }}
    }
}

fn pending_card(
    request: PendingApproval,
    inbox: Inbox,
    session: SessionContext,
    prefill: Option<String>,
) -> impl IntoView {
    let id = request.approval_id;
    let terminal = request.terminal.clone();
    let code = RwSignal::new(prefill.unwrap_or_default());
    let failure = RwSignal::new(None::<String>);
    // The request was decided elsewhere meanwhile: it simply leaves.
    let fail = move |error: ApiError| {
        if error.code == ErrorCode::RequestClosed {
            inbox.settle(id, Some(CLOSED.to_owned()));
        } else {
            failure.set(Some(error.message));
        }
    };

    // Decisions run as tasks of their own, not under the card: the live event that removes
    // the card may arrive before the answer, and must not cut the request short.
    let deciding = RwSignal::new(None::<Decision>);
    let busy = move || deciding.with(Option::is_some);
    let decide = move |decision: Decision, code: String| {
        if deciding.get_untracked().is_some() {
            return;
        }
        deciding.set(Some(decision));
        failure.set(None);
        let terminal = terminal.clone();
        spawn_local(async move {
            let outcome = match decision {
                Decision::Approve => approve(id, &code)
                    .await
                    .map(|()| format!("Connexion validée sur « {terminal} ».")),
                Decision::Refuse => api::approver_refuse(id).await.map(|_| REFUSED.to_owned()),
                Decision::Report => api::approver_report(id).await.map(|_| REPORTED.to_owned()),
            };
            deciding.try_set(None);
            match outcome {
                Ok(notice) => inbox.settle(id, Some(notice)),
                Err(error) => fail(error),
            }
        });
    };

    let on_submit = {
        let decide = decide.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let code = code.get_untracked();
            if is_complete(&code) {
                decide(Decision::Approve, code);
            }
        }
    };
    let on_refuse = {
        let decide = decide.clone();
        move |_| decide(Decision::Refuse, String::new())
    };
    let on_report = move |_| decide(Decision::Report, String::new());

    let title_id = format!("demande-{id}");
    let labelled_by = title_id.clone();
    let expires_at = request.expires_at;
    let atypical = (!request.atypical.is_empty()).then(|| {
        view! {
            <div class="atypique" data-testid="atypical">
                <p class="atypique-title">"Demande inhabituelle"</p>
                <ul>
                    {request
                        .atypical
                        .iter()
                        .map(|reason| view! { <li>{reason.clone()}</li> })
                        .collect_view()}
                </ul>
            </div>
        }
    });
    let requested_by = request.requested_by.clone().map(|name| {
        view! {
            <div>
                <dt>"Demandé par"</dt>
                <dd>{name}</dd>
            </div>
        }
    });

    // A staff member asks to type under my responsibility, on a tablet beside me.
    let delegation = request.requested_by.clone().map(|name| {
        view! {
            <p class="delegation-request" data-testid="delegation-request">
                {format!(
                    "{name} demande à saisir sous votre responsabilité — {}, {}",
                    request.place,
                    request.terminal,
                )}
            </p>
        }
    });

    view! {
        <li class="card pending-request" data-testid="pending-request" aria-labelledby=labelled_by>
            <h2 id=title_id>{request.terminal.clone()}</h2>
            {delegation}
            {atypical}
            <dl class="facts">
                <div>
                    <dt>"Lieu"</dt>
                    <dd>{request.place.clone()}</dd>
                </div>
                <div>
                    <dt>"Adresse IP"</dt>
                    <dd>{request.ip.clone()}</dd>
                </div>
                <div>
                    <dt>"Heure"</dt>
                    <dd>{format::time(request.requested_at)}</dd>
                </div>
                {requested_by}
                <div>
                    <dt>"Expire dans"</dt>
                    <dd class="tabular">{move || format::clock(expires_at - session.now())}</dd>
                </div>
            </dl>
            <form class="form" on:submit=on_submit novalidate>
                <CodeField
                    code
                    id=format!("code-{id}")
                    label="Code affiché sur le poste"
                    hint="Les 6 chiffres affichés sur l'écran où vous vous connectez."
                />
                <button
                    type="submit"
                    class="button button-wide"
                    data-testid="approve"
                    disabled=move || !code.with(|c| is_complete(c)) || busy()
                >
                    {move || {
                        if deciding.get() == Some(Decision::Approve) { "Vérification…" } else { "Valider" }
                    }}
                </button>
            </form>
            <div class="actions">
                <button
                    type="button"
                    class="button button-quiet"
                    data-testid="refuse"
                    disabled=busy
                    on:click=on_refuse
                >
                    "Quitter l'authentification"
                </button>
                <button
                    type="button"
                    class="button button-danger"
                    data-testid="report"
                    disabled=busy
                    on:click=on_report
                >
                    "Ce n'est pas moi"
                </button>
            </div>
            <p class="hint">
                "« Ce n'est pas moi » refuse la demande, prévient l'équipe de sécurité et suspend \
                 24 h la connexion par téléphone."
            </p>
            {move || {
                failure
                    .get()
                    .map(|message| {
                        view! {
                            <p role="alert" class="alert alert-error" data-testid="request-error">
                                {message}
                            </p>
                        }
                    })
            }}
        </li>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Approve,
    Refuse,
    Report,
}

/// The code shown on the terminal, then PIN/biometrics with this phone's passkey.
async fn approve(id: Uuid, code: &str) -> Result<(), ApiError> {
    let challenge = api::approver_code(id, code).await?;
    let credential = webauthn::use_passkey(challenge.options).await?;
    api::approver_approve(
        id,
        &ApprovalConfirm {
            ceremony_id: challenge.ceremony_id,
            credential,
        },
    )
    .await
    .map(|_| ())
}

fn newest_first(list: &mut [PendingApproval]) {
    list.sort_by_key(|r| std::cmp::Reverse(r.requested_at));
}
