//! "/supervision": the delegated sessions under my responsibility, live (on my phone or my
//! computer). Each session says who types, where and since when, with its entries as they are
//! saved; "Terminer la session" ends it at once on the tablet, "Contester" flags an entry (the
//! reason is kept, and the tablet is told).

use chrono::{DateTime, Utc};
use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::{
        delegation::{DelegatedEntry, DelegatedSessionView},
        live::SupervisionEvent,
        vaccination::{ContestView, InjectionStatus},
    },
};

use super::{sessions::signed_out_or_error, set_title};
use crate::{
    api,
    components::text_field::TextField,
    format,
    live::{LiveList, LiveStream},
};

/// What the live stream says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LiveUpdate {
    Session(DelegatedSessionView),
    Entry(DelegatedEntry),
    Ended { session_id: Uuid, at: DateTime<Utc> },
}

/// Applies an update; false when it names a session not on screen (read the list again).
fn apply(list: &mut Vec<DelegatedSessionView>, update: LiveUpdate) -> bool {
    match update {
        LiveUpdate::Session(session) => {
            match list.iter_mut().find(|s| s.session_id == session.session_id) {
                Some(known) => *known = session,
                None => list.push(session),
            }
            newest_first(list);
            true
        }
        LiveUpdate::Entry(entry) => {
            let Some(session) = list.iter_mut().find(|s| s.session_id == entry.session_id) else {
                return false;
            };
            match session
                .entries
                .iter_mut()
                .find(|e| e.injection_id == entry.injection_id)
            {
                Some(known) => *known = entry,
                None => session.entries.push(entry),
            }
            session.entries.sort_by_key(|e| e.recorded_at);
            true
        }
        LiveUpdate::Ended { session_id, at } => {
            let Some(session) = list.iter_mut().find(|s| s.session_id == session_id) else {
                return false;
            };
            session.ended_at.get_or_insert(at);
            true
        }
    }
}

fn newest_first(list: &mut [DelegatedSessionView]) {
    list.sort_by_key(|s| std::cmp::Reverse(s.started_at));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Loading,
    Ready,
}

#[component]
pub fn Supervision() -> impl IntoView {
    set_title("Supervision des saisies déléguées");
    let sessions = RwSignal::new(Vec::<DelegatedSessionView>::new());
    let mode = RwSignal::new(Mode::Loading);
    let problem = RwSignal::new(None::<ApiError>);
    let list = LiveList::new();

    let update = move |update: LiveUpdate| {
        let known = sessions
            .try_update(|list| apply(list, update))
            .unwrap_or(true);
        if !known {
            list.reload();
        }
    };
    let open_stream = move || {
        LiveStream::open(api::SUPERVISION_EVENTS_URL).map(|live| {
            live.on_event(move |event| match event {
                SupervisionEvent::DelegatedSession(session) => update(LiveUpdate::Session(session)),
                SupervisionEvent::DelegatedEntry(entry) => update(LiveUpdate::Entry(entry)),
                SupervisionEvent::DelegatedSessionEnded(ended) => update(LiveUpdate::Ended {
                    session_id: ended.session_id,
                    at: ended.ended_at,
                }),
                SupervisionEvent::Other(_) => {}
            })
            .reloading(list)
        })
    };

    list.read_with(api::supervised_sessions, move |answer| match answer {
        Ok(mut read) => {
            newest_first(&mut read);
            problem.set(None);
            sessions.set(read);
            mode.set(Mode::Ready);
            list.follow(open_stream);
        }
        Err(error) => {
            if matches!(
                error.code,
                ErrorCode::Unauthenticated | ErrorCode::SessionExpired
            ) {
                list.close();
            }
            problem.set(Some(error));
        }
    });

    let ids = move || sessions.with(|list| list.iter().map(|s| s.session_id).collect::<Vec<_>>());
    let empty = Memo::new(move |_| sessions.with(Vec::is_empty));
    let mode = Memo::new(move |_| mode.get());

    view! {
        <h1>"Supervision des saisies déléguées"</h1>
        <p class="lead">
            "Les sessions de saisie ouvertes sous votre responsabilité, et celles des dernières \
             24 heures. Les saisies s'affichent dès qu'elles sont enregistrées."
        </p>
        {move || problem.get().map(signed_out_or_error)}
        {move || match mode.get() {
            // Signed out (or refused): the card above says so, and nothing is loading.
            Mode::Loading if problem.with(Option::is_some) => ().into_any(),
            Mode::Loading => view! { <p class="muted">"Chargement…"</p> }.into_any(),
            Mode::Ready if empty.get() => {
                view! {
                    <p class="card empty" data-testid="no-delegated-session">
                        "Aucune session de saisie déléguée sous votre responsabilité."
                    </p>
                }
                    .into_any()
            }
            Mode::Ready => {
                view! {
                    <ul class="supervision-list">
                        <For
                            each=ids
                            key=|id| *id
                            children=move |id| view! { <SessionCard id sessions /> }
                        />
                    </ul>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn SessionCard(id: Uuid, sessions: RwSignal<Vec<DelegatedSessionView>>) -> impl IntoView {
    let session =
        Memo::new(move |_| sessions.with(|list| list.iter().find(|s| s.session_id == id).cloned()));
    let field = move |f: fn(&DelegatedSessionView) -> String| {
        move || session.with(|s| s.as_ref().map(f).unwrap_or_default())
    };
    let open =
        Memo::new(move |_| session.with(|s| s.as_ref().is_some_and(|s| s.ended_at.is_none())));
    let ending = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let end = move |_| {
        ending.set(true);
        problem.set(None);
        spawn_local(async move {
            match api::supervised_session_end(id).await {
                Ok(()) => {
                    sessions.try_update(|list| {
                        apply(
                            list,
                            LiveUpdate::Ended {
                                session_id: id,
                                at: api::server_now(),
                            },
                        )
                    });
                }
                Err(error) => {
                    problem.try_set(Some(error.message));
                }
            }
            ending.try_set(false);
        });
    };
    let entry_ids = move || {
        session.with(|s| {
            s.as_ref()
                .map(|s| s.entries.iter().map(|e| e.injection_id).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    let title_id = format!("session-deleguee-{id}");
    let labelled_by = title_id.clone();
    view! {
        <li
            class="card supervised-session"
            class:supervised-open=move || open.get()
            data-testid="delegated-session"
            data-session-id=id.to_string()
            data-open=move || if open.get() { "true" } else { "false" }
            aria-labelledby=labelled_by
        >
            <h2 id=title_id>
                {field(|s| format!("{} — {}", s.typist, s.typist_role))}
            </h2>
            <p class="session-badge" data-testid="delegated-session-state">
                {move || {
                    session
                        .with(|s| {
                            s.as_ref()
                                .map(|s| match s.ended_at {
                                    None => "Session en cours".to_owned(),
                                    Some(at) => format!("Session terminée à {}", format::time(at)),
                                })
                        })
                }}
            </p>
            <dl class="facts">
                <div>
                    <dt>"Structure"</dt>
                    <dd>{field(|s| s.structure_name.clone())}</dd>
                </div>
                <div>
                    <dt>"Poste"</dt>
                    <dd>{field(|s| s.terminal.clone())}</dd>
                </div>
                <div>
                    <dt>"Début"</dt>
                    <dd>{field(|s| format::date_time(s.started_at))}</dd>
                </div>
                <div>
                    <dt>"Saisies"</dt>
                    <dd data-testid="delegated-entry-count">{field(|s| s.entries.len().to_string())}</dd>
                </div>
            </dl>
            <Show when=move || open.get()>
                <button
                    type="button"
                    class="button button-danger button-wide button-big"
                    data-testid="end-delegated-session"
                    disabled=move || ending.get()
                    on:click=end
                >
                    "Terminer la session"
                </button>
            </Show>
            {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
            <Show
                when=move || !entry_ids().is_empty()
                fallback=|| view! { <p class="empty">"Aucune saisie pour l'instant."</p> }
            >
                <h3>"Saisies"</h3>
                <ul class="supervised-entries">
                    <For
                        each=entry_ids
                        key=|entry| *entry
                        children=move |entry| view! { <EntryRow session entry /> }
                    />
                </ul>
            </Show>
        </li>
    }
}

#[component]
fn EntryRow(session: Memo<Option<DelegatedSessionView>>, entry: Uuid) -> impl IntoView {
    let current = Memo::new(move |_| {
        session.with(|s| {
            s.as_ref()
                .and_then(|s| s.entries.iter().find(|e| e.injection_id == entry).cloned())
        })
    });
    let contest = Memo::new(move |_| current.with(|e| e.as_ref().and_then(|e| e.contest.clone())));
    let asking = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = reason.get_untracked().trim().to_owned();
        if typed.is_empty() {
            problem.set(Some("Indiquez la raison de la contestation.".to_owned()));
            return;
        }
        sending.set(true);
        problem.set(None);
        spawn_local(async move {
            match api::entry_contest(entry, &typed).await {
                // The stream brings the contested entry to every screen, this one included;
                // the answer is the same, so it counts at once.
                Ok(_) => {
                    asking.try_set(false);
                }
                Err(error) => {
                    problem.try_set(Some(error.message));
                }
            }
            sending.try_set(false);
        });
    };
    let reason_id = format!("contestation-{entry}");
    let summary = move || current.with(|e| e.as_ref().map(entry_summary).unwrap_or_default());
    view! {
        <li class="supervised-entry" data-testid="delegated-entry" data-injection-id=entry.to_string()>
            <p>{summary}</p>
            {move || {
                contest
                    .get()
                    .map(|c| {
                        view! {
                            <p class="contest" data-testid="entry-contest">
                                {contest_line(&c)}
                            </p>
                        }
                    })
            }}
            <Show when=move || contest.with(Option::is_none) && !asking.get()>
                <button
                    type="button"
                    class="button button-quiet"
                    data-testid="contest-entry"
                    on:click=move |_| asking.set(true)
                >
                    "Contester"
                </button>
            </Show>
            <Show when=move || asking.get() && contest.with(Option::is_none)>
                <form class="form reason-form" on:submit=on_submit novalidate>
                    <TextField
                        id=reason_id.clone()
                        label="Raison de la contestation (obligatoire)"
                        value=reason
                        maxlength=500
                    />
                    <div class="actions">
                        <button
                            type="submit"
                            class="button button-danger"
                            data-testid="contest-submit"
                            disabled=move || sending.get() || reason.with(|r| r.trim().is_empty())
                        >
                            "Contester cette saisie"
                        </button>
                        <button type="button" class="button button-quiet" on:click=move |_| asking.set(false)>
                            "Annuler"
                        </button>
                    </div>
                    {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
                </form>
            </Show>
        </li>
    }
}

/// "14:03 — Jeanne Durand (née le 14/08/1955) — Comirnaty, lot FK1234, dose 2 — valide".
fn entry_summary(entry: &DelegatedEntry) -> String {
    let status = match entry.status {
        InjectionStatus::Valid => "valide",
        InjectionStatus::Invalidated => "invalidée",
    };
    format!(
        "{} — {} (né(e) le {}) — {}, lot {}, dose {} — {status}",
        format::time(entry.administered_at),
        entry.patient_name,
        format::day(entry.patient_birth_date),
        entry.product_name,
        entry.lot_number,
        entry.dose_number,
    )
}

/// "Contestée par Dr Jean Martin : mauvais patient".
pub fn contest_line(contest: &ContestView) -> String {
    format!("Contestée par {} : {}", contest.by, contest.reason)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000 + seconds, 0).expect("timestamp")
    }

    fn session(n: u128, started: i64) -> DelegatedSessionView {
        DelegatedSessionView {
            session_id: Uuid::from_u128(n),
            typist: "Marie Dupont".into(),
            typist_role: "Secrétaire médicale".into(),
            structure_name: "Centre de vaccination de Melun".into(),
            terminal: "Tablette 3".into(),
            started_at: at(started),
            ended_at: None,
            entries: Vec::new(),
        }
    }

    fn entry(session: u128, n: u128, recorded: i64) -> DelegatedEntry {
        DelegatedEntry {
            injection_id: Uuid::from_u128(n),
            session_id: Uuid::from_u128(session),
            patient_name: "Jeanne Durand".into(),
            patient_birth_date: NaiveDate::from_ymd_opt(1955, 8, 14).expect("date"),
            product_name: "Comirnaty".into(),
            lot_number: "FK1234".into(),
            dose_number: 2,
            administered_at: at(recorded),
            recorded_at: at(recorded),
            status: InjectionStatus::Valid,
            contest: None,
        }
    }

    #[test]
    fn live_updates_fill_the_list() {
        let mut list = vec![session(1, 0)];
        assert!(apply(&mut list, LiveUpdate::Session(session(2, 60))));
        assert_eq!(list[0].session_id, Uuid::from_u128(2), "newest first");

        assert!(apply(&mut list, LiveUpdate::Entry(entry(1, 10, 20))));
        assert!(apply(&mut list, LiveUpdate::Entry(entry(1, 11, 10))));
        let first = &list[1].entries;
        assert_eq!(first.len(), 2);
        assert_eq!(
            first[0].injection_id,
            Uuid::from_u128(11),
            "in the order typed"
        );

        let mut contested = entry(1, 10, 20);
        contested.contest = Some(ContestView {
            by: "Dr Jean Martin".into(),
            reason: "mauvais patient".into(),
            at: at(30),
        });
        assert!(apply(&mut list, LiveUpdate::Entry(contested.clone())));
        assert_eq!(list[1].entries.len(), 2, "replaced, not added");
        assert_eq!(
            contest_line(contested.contest.as_ref().expect("contest")),
            "Contestée par Dr Jean Martin : mauvais patient"
        );

        assert!(apply(
            &mut list,
            LiveUpdate::Ended {
                session_id: Uuid::from_u128(1),
                at: at(90)
            }
        ));
        assert_eq!(list[1].ended_at, Some(at(90)));
        assert!(
            !apply(&mut list, LiveUpdate::Entry(entry(9, 12, 0))),
            "unknown session: reload"
        );
    }
}
