//! The approver's screen: sign-in requests arrive live, with their context; approving takes
//! the code shown on the terminal, then PIN/biometrics (the passkey of this phone). A phone not
//! yet activated gets the activation form instead; a suspended identity is told why and until
//! when, at the top.

use leptos::prelude::*;
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::{
        approval::{ApproverPresence, PendingApproval, PushFrozen},
        live::PhoneEvent,
    },
    routes::Page,
};

use super::{
    Clock, Focus,
    card::{CLOSED, Inbox, pending_card},
    push::PushCard,
    text::{FREEZE_REMEDY, freeze_reason},
    worker::Worker,
};
use crate::{
    api, format,
    live::{LiveList, LiveStream},
    pages::{fragment_value, take_fragment},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Loading,
    NotActivated,
    Ready,
}

#[component]
pub fn Validation(
    /// This phone's owner, once known (the header names him).
    presence: RwSignal<Option<ApproverPresence>>,
    worker: Worker,
    focus: Focus,
) -> impl IntoView {
    let clock = Clock::start();
    // Opened by scanning the terminal's QR code: `#demande=<id>&code=<6 digits>` fills the code in.
    let scanned = StoredValue::new({
        let fragment = take_fragment();
        fragment_value(&fragment, "demande")
            .and_then(|id| Uuid::parse_str(&id).ok())
            .zip(fragment_value(&fragment, "code"))
    });
    if let Some((id, _)) = scanned.get_value() {
        focus.request(id);
    }
    let mode = RwSignal::new(Mode::Loading);
    let inbox = Inbox::new();
    // A failed read of the list.
    let problem = RwSignal::new(None::<String>);
    let list = LiveList::new();

    let open_stream = move || {
        LiveStream::open(api::APPROVER_EVENTS_URL).map(|live| {
            live.on_event(move |event| match event {
                PhoneEvent::ApprovalRequested(request) => inbox.add(request),
                PhoneEvent::ApprovalStatus(moved) => {
                    if moved.status.is_final() {
                        inbox.settle(moved.approval_id, None);
                    }
                }
                PhoneEvent::Other(_) => {}
            })
            .reloading(list)
        })
    };

    // Whose phone this is (and whether push sign-in is suspended) is read at every reload too:
    // a report just made suspends it, a security officer may lift it.
    let read = move || async move {
        let Some(owner) = api::approver_presence().await? else {
            return Ok(None);
        };
        api::approver_requests()
            .await
            .map(|requests| Some((owner, requests)))
    };
    list.read_with(read, move |answer| match answer {
        Ok(None)
        | Err(ApiError {
            code: ErrorCode::NotApproverDevice,
            ..
        }) => {
            list.close();
            presence.set(None);
            mode.set(Mode::NotActivated);
        }
        Ok(Some((owner, requests))) => {
            problem.set(None);
            presence.set(Some(owner));
            // The request the user came for is no longer there: decided or expired meanwhile.
            let gone = focus
                .wanted_untracked()
                .filter(|id| requests.iter().all(|r| r.approval_id != *id));
            inbox.replace(requests);
            if gone.is_some() {
                focus.clear();
                inbox.notice.set(Some(CLOSED.to_owned()));
            }
            mode.set(Mode::Ready);
            list.follow(open_stream);
        }
        Err(error) => problem.set(Some(error.message)),
    });

    // A notification tapped while the page is open may name a request its stream has not
    // brought yet: the list is read again (which also tells if it is already decided).
    Effect::new(move |_| {
        let Some(id) = focus.wanted() else {
            return;
        };
        let known = inbox
            .requests
            .with_untracked(|list| list.iter().any(|r| r.approval_id == id));
        if mode.get_untracked() == Mode::Ready && !known {
            list.reload();
        }
    });
    // After a report, the suspension it causes is read at once.
    Effect::new(move |previous: Option<u32>| {
        let reports = inbox.reports();
        if previous.is_some_and(|p| p != reports) {
            list.reload();
        }
        reports
    });

    // Changes only when the mode does: a reload must not rebuild the cards (typed codes).
    let mode = Memo::new(move |_| mode.get());
    let frozen =
        Memo::new(move |_| presence.with(|p| p.as_ref().and_then(|p| p.push_frozen.clone())));

    // Requests past their two minutes leave the screen even before the server says so; the
    // one a notification opened comes first, then the newest.
    let live_requests = move || {
        let now = clock.now();
        let wanted = focus.wanted();
        let mut list = inbox
            .requests
            .get()
            .into_iter()
            .filter(|r| r.expires_at > now)
            .collect::<Vec<_>>();
        list.sort_by_key(|r| {
            (
                Some(r.approval_id) != wanted,
                std::cmp::Reverse(r.requested_at),
            )
        });
        list
    };

    view! {
        <h1 class="approver-title">"Validation des connexions"</h1>
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
                    // The activation form lives in the hall app (`/activation`): the phone's
                    // own download stays what an activated phone needs.
                    <a class="button" href=Page::Activation.path() data-testid="open-activation">
                        "Activer ce téléphone"
                    </a>
                }
                    .into_any()
            }
            Mode::Ready => {
                view! {
                    {move || frozen.get().map(|frozen| view! { <FreezeNotice frozen /> })}
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
                                children=move |request: PendingApproval| {
                                    let prefill = scanned
                                        .get_value()
                                        .filter(|(id, _)| *id == request.approval_id)
                                        .map(|(_, code)| code);
                                    pending_card(request, inbox, clock, focus, prefill)
                                }
                            />
                        </ul>
                    </Show>
                    <p class="approver-intro">
                        "Les demandes de connexion à votre nom s'affichent ici. Validez seulement une \
                         demande que vous venez de faire, avec le code affiché sur le poste."
                    </p>
                    <PushCard worker />
                }
                    .into_any()
            }
        }}
    }
}

/// Push sign-in suspended: until when, why, and what still works.
#[component]
fn FreezeNotice(frozen: PushFrozen) -> impl IntoView {
    view! {
        <section class="freeze-notice" aria-labelledby="suspension" data-testid="push-frozen">
            <h2 id="suspension">
                {format!(
                    "Connexion par téléphone suspendue jusqu'au {}",
                    format::long_date_time(frozen.until),
                )}
            </h2>
            <p>{freeze_reason(frozen.reported)}</p>
            <p>{FREEZE_REMEDY}</p>
        </section>
    }
}
