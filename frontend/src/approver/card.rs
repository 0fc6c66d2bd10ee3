//! One request on the phone, phone-first: at 360×640 the sentence that says who asks, the code
//! field and "Valider" fit the first screen under the header; the details follow. "Ce n'est pas
//! moi" sits apart and asks for a confirmation in the page, saying what it does.

use leptos::{html, prelude::*, task::spawn_local};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::approval::{ApprovalConfirm, PendingApproval},
};

use super::{Clock, Focus, text::request_sentence};
use crate::{
    api,
    components::code_field::{digits, is_complete},
    format, webauthn,
};

const REFUSED: &str = "Demande refusée : le poste en est informé.";
const REPORTED: &str = "Merci : votre signalement a été transmis. La connexion par validation \
sur téléphone est suspendue 24 h pour votre identifiant ; la connexion par clé d'accès reste possible.";
pub const CLOSED: &str = "Cette demande n'est plus en attente.";
const REPORT_EFFECT: &str = "La demande est refusée, la connexion par téléphone est suspendue \
24 h pour votre identifiant et l'équipe sécurité est prévenue.";

/// What the cards share: the list, the outcome of the last decision, and how many reports
/// were made (each suspends push sign-in, which the screen then reads).
#[derive(Clone, Copy)]
pub struct Inbox {
    pub requests: RwSignal<Vec<PendingApproval>>,
    pub notice: RwSignal<Option<String>>,
    reports: RwSignal<u32>,
}

impl Inbox {
    pub fn new() -> Self {
        Self {
            requests: RwSignal::new(Vec::new()),
            notice: RwSignal::new(None),
            reports: RwSignal::new(0),
        }
    }

    /// A new request: the word about the previous decision is no longer news.
    pub fn add(self, request: PendingApproval) {
        let mut added = false;
        self.requests.update(|list| {
            if list.iter().all(|r| r.approval_id != request.approval_id) {
                list.push(request);
                added = true;
            }
        });
        if added {
            self.notice.set(None);
        }
    }

    /// The list as read from the server; a request not seen before clears the old word too.
    pub fn replace(self, requests: Vec<PendingApproval>) {
        let news = self.requests.with_untracked(|known| {
            requests
                .iter()
                .any(|r| known.iter().all(|k| k.approval_id != r.approval_id))
        });
        if news {
            self.notice.set(None);
        }
        self.requests.set(requests);
    }

    /// A decided request leaves the list, with a word about what happened.
    pub fn settle(self, id: Uuid, notice: Option<String>) {
        self.requests
            .update(|list| list.retain(|r| r.approval_id != id));
        if notice.is_some() {
            self.notice.set(notice);
        }
    }

    pub fn reports(self) -> u32 {
        self.reports.get()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Approve,
    Refuse,
    Report,
}

pub fn pending_card(
    request: PendingApproval,
    inbox: Inbox,
    clock: Clock,
    focus: Focus,
    prefill: Option<String>,
) -> impl IntoView {
    let id = request.approval_id;
    let terminal = StoredValue::new(request.terminal.clone());
    let code = RwSignal::new(prefill.unwrap_or_default());
    let failure = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
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
        let terminal = terminal.get_value();
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
                Ok(notice) => {
                    inbox.settle(id, Some(notice));
                    if decision == Decision::Report {
                        inbox.reports.try_update(|n| *n += 1);
                    }
                }
                Err(error) => fail(error),
            }
        });
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let code = code.get_untracked();
        if is_complete(&code) {
            decide(Decision::Approve, code);
        }
    };
    let on_refuse = move |_| decide(Decision::Refuse, String::new());
    let on_confirm_report = move |_| decide(Decision::Report, String::new());

    // A notification or the QR code named this request: bring its code field to the user.
    let input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if focus.wanted() == Some(id)
            && let Some(input) = input.get()
        {
            // After the list has put this card first (moving a node drops its focus).
            set_timeout(
                move || {
                    input.scroll_into_view();
                    let _ = input.focus();
                },
                std::time::Duration::ZERO,
            );
        }
    });
    // The confirmation takes the focus when it opens; "Annuler" gives it back.
    let confirm_text = NodeRef::<html::P>::new();
    let report_button = NodeRef::<html::Button>::new();
    Effect::new(move |was_open: Option<bool>| {
        let open = confirming.get();
        if open && let Some(text) = confirm_text.get() {
            let _ = text.focus();
        } else if !open
            && was_open == Some(true)
            && let Some(button) = report_button.get()
        {
            let _ = button.focus();
        }
        open
    });

    let title_id = format!("demande-{id}");
    let labelled_by = title_id.clone();
    let code_id = format!("code-{id}");
    let code_label_for = code_id.clone();
    let error_id = format!("code-{id}-erreur");
    let described_by = error_id.clone();
    let refuse_id = format!("refus-{id}");
    let refuse_described_by = refuse_id.clone();
    let confirm_id = format!("signalement-{id}");
    let confirm_labelled_by = confirm_id.clone();
    let expires_at = request.expires_at;
    let sentence = request_sentence(
        &request.terminal,
        &request.place,
        request.requested_by.as_deref(),
    );
    let delegated = request.requested_by.is_some();
    let atypical = (!request.atypical.is_empty()).then(|| {
        view! {
            <div class="atypique" data-testid="atypical">
                <p class="atypique-title">"À vérifier avant de valider"</p>
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

    view! {
        <li
            class="card pending-request"
            data-testid="pending-request"
            aria-labelledby=labelled_by
        >
            <h2
                id=title_id
                class="request-sentence"
                data-testid=if delegated { "delegation-request" } else { "request-sentence" }
            >
                {sentence}
            </h2>
            <form class="request-form" on:submit=on_submit novalidate>
                <label for=code_label_for>"Code affiché sur le poste"</label>
                <input
                    node_ref=input
                    id=code_id
                    class="code-input"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    // Room for a space between the two groups of three.
                    maxlength="7"
                    aria-describedby=described_by
                    aria-invalid=move || if failure.with(Option::is_some) { "true" } else { "false" }
                    prop:value=move || code.get()
                    on:input=move |ev| {
                        code.set(digits(&event_target_value(&ev)));
                        failure.set(None);
                    }
                />
                // Always there, so a message written into it is announced at once.
                <p id=error_id class="request-error" role="alert" data-testid="request-error">
                    {move || failure.get()}
                </p>
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
                <p class="request-expiry">
                    "Expire dans "
                    <span class="tabular">{move || format::clock(expires_at - clock.now())}</span>
                </p>
            </form>
            {atypical}
            <dl class="facts">
                <div>
                    <dt>"Lieu"</dt>
                    <dd>{request.place.clone()}</dd>
                </div>
                <div>
                    <dt>"Poste"</dt>
                    <dd>{request.terminal.clone()}</dd>
                </div>
                <div>
                    <dt>"Heure"</dt>
                    <dd>{format::time(request.requested_at)}</dd>
                </div>
                <div>
                    <dt>"Adresse IP"</dt>
                    <dd>{request.ip.clone()}</dd>
                </div>
                {requested_by}
            </dl>
            <div class="request-refuse">
                <button
                    type="button"
                    class="button button-quiet button-wide"
                    data-testid="refuse"
                    aria-describedby=refuse_described_by
                    disabled=busy
                    on:click=on_refuse
                >
                    "Quitter l'authentification"
                </button>
                <p id=refuse_id class="hint">"refuse cette demande"</p>
            </div>
            <div class="request-report">
                <Show
                    when=move || confirming.get()
                    fallback=move || {
                        view! {
                            <button
                                type="button"
                                class="button button-danger button-wide"
                                data-testid="report"
                                node_ref=report_button
                                disabled=busy
                                on:click=move |_| confirming.set(true)
                            >
                                "Ce n'est pas moi"
                            </button>
                        }
                    }
                >
                    <div
                        class="report-confirm"
                        role="group"
                        aria-labelledby=confirm_labelled_by.clone()
                        data-testid="report-confirm"
                    >
                        <p id=confirm_id.clone() node_ref=confirm_text tabindex="-1">
                            <strong>"Ce n'est pas moi : "</strong>
                            {REPORT_EFFECT}
                        </p>
                        <div class="actions">
                            <button
                                type="button"
                                class="button button-danger"
                                data-testid="report-confirm-yes"
                                disabled=busy
                                on:click=on_confirm_report
                            >
                                "Confirmer"
                            </button>
                            <button
                                type="button"
                                class="button button-quiet"
                                data-testid="report-cancel"
                                disabled=busy
                                on:click=move |_| confirming.set(false)
                            >
                                "Annuler"
                            </button>
                        </div>
                    </div>
                </Show>
            </div>
        </li>
    }
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
