//! Who is signed in on this device, for every screen. The server is the authority: its answer
//! is read at start and, while a session is open, every 30 s (reading does not count as
//! activity). It is asked of `/api/session/presence`, which answers 204 for nobody: an
//! anonymous visitor's console stays free of failed requests. A one-second tick
//! of the server clock drives the "time left" shown in the header. While signed in, the
//! session's live stream says at once when it is closed from elsewhere ("Mes sessions" on
//! another device, the supervising doctor, the sign-in mail's "Ce n'est pas moi").
//!
//! A delegated session (a staff member typing under a professional's responsibility) that ends
//! locks the screen at once: nothing typed stays on view, and the tablet says who ended it. The
//! same stream brings the supervising professional's contests of its entries.

mod countdown;

pub use countdown::{Countdown, Limit};

use chrono::{DateTime, Utc};
use gloo_timers::callback::Interval;
use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::{
        delegation::EntryContestedNotice as EntryContested,
        live::SessionEvent,
        session::{PrincipalKind, SessionEnded, SessionStage, SessionState},
    },
};

use crate::{
    api,
    live::{LiveStream, StreamSlot},
};

/// Shown in the header when the session was closed from elsewhere.
pub const ENDED_ELSEWHERE: &str = "Votre session a été fermée.";

const POLL_EVERY_MS: u32 = 30_000;
const TICK_EVERY_MS: u32 = 1_000;

/// What this device's session opens, for the header and the menus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The server has not answered yet.
    Unknown,
    SignedOut,
    /// A structure account's sign-in under way: the SMS code or a new password is still due,
    /// and nothing else is open yet.
    Unfinished(SessionStage),
    /// Fully signed in.
    Active(PrincipalKind),
}

impl Access {
    pub fn of(checked: bool, current: Option<&SessionState>) -> Self {
        match current {
            _ if !checked => Self::Unknown,
            None => Self::SignedOut,
            Some(state) if state.stage == SessionStage::Active => Self::Active(state.kind),
            Some(state) => Self::Unfinished(state.stage),
        }
    }
}

#[derive(Clone, Copy)]
pub struct SessionContext {
    /// `None` when nobody is signed in on this device.
    current: RwSignal<Option<SessionState>>,
    /// False until the server has answered once, so the header does not flash "Se connecter".
    checked: RwSignal<bool>,
    /// Server time, ticking every second.
    now: RwSignal<DateTime<Utc>>,
    /// Why the last session ended when the user did not end it ("Votre session a expiré").
    notice: RwSignal<Option<String>>,
    /// Bumped by each sign-in and sign-out here, so an older poll answer cannot undo them.
    epoch: StoredValue<u64>,
    /// A delegated session has ended on this device: why, over the whole screen.
    locked: RwSignal<Option<String>>,
    /// Entries of this (delegated) session contested by the supervising professional.
    contests: RwSignal<Vec<ContestNotice>>,
}

/// "Le Dr Jean Martin a contesté la saisie de Jeanne Durand : …", shown on the delegate's
/// tablet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestNotice {
    pub injection_id: Uuid,
    pub text: String,
}

/// Creates the session context for the whole app and starts its timers.
pub fn provide_session_context() -> SessionContext {
    let session = SessionContext {
        current: RwSignal::new(None),
        checked: RwSignal::new(false),
        now: RwSignal::new(api::server_now()),
        notice: RwSignal::new(None),
        epoch: StoredValue::new(0),
        locked: RwSignal::new(None),
        contests: RwSignal::new(Vec::new()),
    };
    provide_context(session);
    session.refresh();

    let tick = Interval::new(TICK_EVERY_MS, move || session.tick());
    // Nobody signed in: nothing to follow (a sign-in here sets the session itself).
    let poll = Interval::new(POLL_EVERY_MS, move || {
        if session.is_signed_in_untracked() {
            session.refresh();
        }
    });
    // Dropping an Interval stops it: keep both as long as the context lives.
    StoredValue::new_local((tick, poll));
    follow_session_end(session);
    session
}

/// One stream per session: opened at sign-in (the cookie names the session), closed at
/// sign-out, reopened when another session replaces this one — including a delegated session
/// once approved (the server rotates its cookie).
fn follow_session_end(session: SessionContext) {
    let stream = StreamSlot::new();
    let identity = Memo::new(move |_| {
        session.current.with(|current| {
            current.as_ref().map(|s| {
                (
                    s.identifier.clone(),
                    s.started_at,
                    s.method.clone(),
                    s.authority.clone(),
                )
            })
        })
    });
    Effect::new(move |_| {
        if identity.with(Option::is_none) {
            stream.close();
            return;
        }
        let live = LiveStream::open(api::SESSION_EVENTS_URL).map(|live| {
            live.on_event(move |event| match event {
                SessionEvent::SessionEnded(ended) => session.ended_elsewhere(&ended),
                SessionEvent::EntryContested(contested) => session.contested(contested),
                SessionEvent::Other(_) => {}
            })
        });
        stream.set(live);
    });
}

/// Why a delegated session ended, for its locked screen; `None` for any other session.
pub fn lock_notice(state: &SessionState, ended: &SessionEnded) -> Option<String> {
    state.typist.as_ref()?;
    let authority = state.authority.as_deref();
    let text = match (ended.reason.as_deref().unwrap_or_default(), authority) {
        ("ended_by_authority", Some(by)) => {
            format!("Session de saisie déléguée terminée par le {by}.")
        }
        ("delegation_withdrawn", Some(by)) => format!(
            "Session de saisie déléguée terminée : le {by} vous a retiré l'autorisation de \
             saisir sous sa responsabilité."
        ),
        ("staff_withdrawn", _) => "Session de saisie déléguée terminée : la structure vous a \
                                   retiré la délégation de saisie."
            .to_owned(),
        ("expired", _) => "Session de saisie déléguée expirée.".to_owned(),
        _ => match &ended.message {
            Some(message) => format!("Session de saisie déléguée terminée. {message}"),
            None => "Session de saisie déléguée terminée.".to_owned(),
        },
    };
    Some(text)
}

/// "Le Dr Jean Martin a contesté la saisie de Jeanne Durand : …" (the delegate typed that
/// entry, so they may read whose it is; "une saisie" when the event does not say).
fn contest_text(by: &str, patient: &str, reason: &str) -> String {
    let by = by.trim();
    let subject = if by.starts_with("Dr ") || by.starts_with("Pr ") {
        format!("Le {by}")
    } else {
        by.to_owned()
    };
    let entry = match patient.trim() {
        "" => "une saisie".to_owned(),
        patient => format!("la saisie de {patient}"),
    };
    format!("{subject} a contesté {entry} : {}", reason.trim())
}

pub fn use_session() -> SessionContext {
    expect_context::<SessionContext>()
}

impl SessionContext {
    /// The signed-in session, if any (reactive).
    pub fn current(self) -> Option<SessionState> {
        self.current.get()
    }

    pub fn is_signed_in_untracked(self) -> bool {
        self.current.with_untracked(Option::is_some)
    }

    /// Whose session this device holds, if any (untracked: for handlers).
    pub fn kind_untracked(self) -> Option<PrincipalKind> {
        self.current
            .with_untracked(|current| current.as_ref().map(|s| s.kind))
    }

    /// Signed in or not, fully or not, and as whom (reactive).
    pub fn access(self) -> Access {
        let checked = self.checked.get();
        self.current
            .with(|current| Access::of(checked, current.as_ref()))
    }

    pub fn notice(self) -> Option<String> {
        self.notice.get()
    }

    /// Server time, as best known right now, re-read every second (reactive): countdowns on
    /// every page. Read afresh rather than from the last tick, so an answer that has just
    /// corrected the clock counts at once.
    pub fn now(self) -> DateTime<Utc> {
        self.now.track();
        api::server_now()
    }

    /// Time left before the nearest limit, ticking every second (reactive).
    pub fn countdown(self) -> Option<Countdown> {
        let now = self.now.get();
        self.current
            .with(|current| current.as_ref().map(|s| Countdown::of(s, now)))
    }

    /// A fresh state from the server (sign-in, keep-alive).
    pub fn signed_in(self, state: SessionState) {
        self.bump_epoch();
        self.locked.set(None);
        self.now.set(api::server_now());
        self.notice.set(None);
        self.current.set(Some(state));
        self.checked.set(true);
    }

    /// Nobody is signed in any more; `notice` says why when the user did not choose it.
    pub fn signed_out(self, notice: Option<String>) {
        // Nothing typed for a patient outlives the session on this tablet.
        crate::vaccination::draft::clear_all();
        // Nor the files and context cached for offline entry (the queue stays, to be sent).
        crate::vaccination::offline::wipe_cache();
        self.bump_epoch();
        self.notice.set(notice);
        self.current.set(None);
        self.checked.set(true);
    }

    /// The server closed this session (live event): out at once, and the header says why; a
    /// delegated session also locks the screen, saying why.
    fn ended_elsewhere(self, ended: &SessionEnded) {
        // Signed out by hand (here or in another tab of this session): nothing to explain.
        if ended.reason.as_deref() == Some("logout") {
            if self.is_signed_in_untracked() {
                self.signed_out(None);
            }
            return;
        }
        let lock = self
            .current
            .with_untracked(|current| current.as_ref().and_then(|s| lock_notice(s, ended)));
        if self.is_signed_in_untracked() {
            self.signed_out(Some(ENDED_ELSEWHERE.to_owned()));
        }
        if lock.is_some() {
            self.locked.set(lock);
        }
    }

    /// Why the screen is locked, if it is (reactive).
    pub fn locked(self) -> Option<String> {
        self.locked.get()
    }

    /// Leaves the locked screen (for a new sign-in).
    pub fn unlock(self) {
        self.locked.set(None);
        self.contests.set(Vec::new());
    }

    /// Contests of this session's entries, newest first (reactive).
    pub fn contests(self) -> Vec<ContestNotice> {
        self.contests.get()
    }

    pub fn dismiss_contest(self, injection_id: Uuid) {
        self.contests
            .update(|list| list.retain(|c| c.injection_id != injection_id));
    }

    fn contested(self, event: EntryContested) {
        let notice = ContestNotice {
            injection_id: event.injection_id,
            text: contest_text(&event.by, &event.patient_name, &event.reason),
        };
        self.contests.update(|list| {
            list.retain(|c| c.injection_id != notice.injection_id);
            list.insert(0, notice);
        });
    }

    /// Asks the server who is signed in. A failed request keeps what we knew: a flaky
    /// connection must not make the screen look signed out.
    pub fn refresh(self) {
        let epoch = self.epoch.get_value();
        spawn_local(async move {
            let answer = api::presence().await;
            if self.epoch.try_get_value() != Some(epoch) {
                return; // Signed in or out meanwhile: that is newer than this answer.
            }
            match answer {
                Ok(Some(state)) => {
                    // The answer's Date header may have corrected the clock: count from it now.
                    self.now.set(api::server_now());
                    self.notice.set(None);
                    self.current.set(Some(state));
                    self.checked.set(true);
                }
                Ok(None) => {
                    let was_signed_in = self.current.with_untracked(Option::is_some);
                    if was_signed_in {
                        let lock = self.current.with_untracked(|current| {
                            current
                                .as_ref()
                                .and_then(|s| lock_notice(s, &SessionEnded::default()))
                        });
                        self.signed_out(Some(ErrorCode::SessionExpired.message().to_owned()));
                        if lock.is_some() {
                            self.locked.set(lock);
                        }
                    } else {
                        self.checked.set(true);
                    }
                }
                Err(_) => self.checked.set(true),
            }
        });
    }

    fn tick(self) {
        self.now.set(api::server_now());
        let over = self
            .current
            .with_untracked(|current| {
                current
                    .as_ref()
                    .map(|s| Countdown::of(s, self.now.get_untracked()))
            })
            .is_some_and(|countdown| countdown.is_over());
        if over {
            let lock = self.current.with_untracked(|current| {
                current
                    .as_ref()
                    .and_then(|s| lock_notice(s, &SessionEnded::because("expired")))
            });
            if lock.is_some() {
                self.locked.set(lock);
            }
            // The server's own limits say it has ended; ask it to be sure (another tab may
            // have kept the session alive).
            self.signed_out(Some(ErrorCode::SessionExpired.message().to_owned()));
            self.refresh();
        }
    }

    fn bump_epoch(self) {
        self.epoch.update_value(|epoch| *epoch += 1);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;

    fn state(kind: PrincipalKind, stage: SessionStage) -> SessionState {
        let now = Utc::now();
        SessionState {
            kind,
            identifier: "770012342".into(),
            display_name: "Responsable du centre — Centre de vaccination de Melun".into(),
            stage,
            method: "password".into(),
            started_at: now,
            idle_expires_at: now + Duration::minutes(60),
            absolute_expires_at: now + Duration::hours(4),
            typist: None,
            authority: None,
            structure: None,
            security_officer: false,
        }
    }

    #[test]
    fn an_unfinished_sign_in_is_not_access() {
        let account = PrincipalKind::StructureAccount;
        assert_eq!(Access::of(false, None), Access::Unknown);
        assert_eq!(Access::of(true, None), Access::SignedOut);
        assert_eq!(
            Access::of(true, Some(&state(account, SessionStage::SecondFactor))),
            Access::Unfinished(SessionStage::SecondFactor)
        );
        assert_eq!(
            Access::of(true, Some(&state(account, SessionStage::PasswordChange))),
            Access::Unfinished(SessionStage::PasswordChange)
        );
        assert_eq!(
            Access::of(true, Some(&state(account, SessionStage::Active))),
            Access::Active(account)
        );
    }

    #[test]
    fn only_a_delegated_session_locks_and_says_who_ended_it() {
        let by = SessionEnded::because;
        let doctor = state(PrincipalKind::Professional, SessionStage::Active);
        assert_eq!(lock_notice(&doctor, &by("ended_by_user")), None);
        let mut s = state(PrincipalKind::Delegate, SessionStage::Active);
        s.typist = Some("Marie Dupont".into());
        assert_eq!(
            lock_notice(&s, &SessionEnded::default()).as_deref(),
            Some("Session de saisie déléguée terminée.")
        );
        s.authority = Some("Dr Jean Martin".into());
        assert_eq!(
            lock_notice(&s, &by("ended_by_authority")).as_deref(),
            Some("Session de saisie déléguée terminée par le Dr Jean Martin.")
        );
        assert!(
            lock_notice(&s, &by("delegation_withdrawn"))
                .is_some_and(|t| t.contains("le Dr Jean Martin vous a retiré"))
        );
        assert!(lock_notice(&s, &by("staff_withdrawn")).is_some_and(|t| t.contains("structure")));
        let ended: SessionEnded =
            serde_json::from_str(r#"{"reason":"other","message":"Fermée."}"#).expect("event");
        assert_eq!(
            lock_notice(&s, &ended).as_deref(),
            Some("Session de saisie déléguée terminée. Fermée.")
        );
    }

    #[test]
    fn a_contest_reads_as_a_sentence() {
        assert_eq!(
            contest_text("Dr Jean Martin", "Jeanne Durand", " mauvais patient "),
            "Le Dr Jean Martin a contesté la saisie de Jeanne Durand : mauvais patient"
        );
        assert_eq!(
            contest_text("Claire Bernard", " ", "lot erroné"),
            "Claire Bernard a contesté une saisie : lot erroné"
        );
        let event: EntryContested = serde_json::from_str(
            r#"{"injection_id":"00000000-0000-0000-0000-000000000000","reason":"x","by":"Dr A","patient_name":"Jeanne Durand"}"#,
        )
        .expect("event");
        assert_eq!(event.by, "Dr A");
        assert_eq!(event.patient_name, "Jeanne Durand");
    }
}
