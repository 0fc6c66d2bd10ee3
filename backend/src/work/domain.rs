//! What happened, as typed domain events. Each one says how the audit trail records it and
//! which live streams hear of it; the unit of work runs those reactions at commit.

use uuid::Uuid;
use vigie_shared::api::{
    approval::{ApprovalEvent, ApprovalStatus, PendingApproval},
    delegation::{
        DelegatedEntry, DelegatedSessionEnded, DelegatedSessionView, EntryContestedNotice,
    },
    live::LiveEvent,
    session::SessionEnded,
};

use super::Actor;
use crate::{
    audit,
    entities::{injection, patient},
    events,
};

/// Why a session ended; the device is told the code (and, for a delegated session, a
/// sentence for its locked screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Its owner signed out on that device.
    Logout,
    /// Its owner ended it from another session ("Mes sessions").
    EndedByUser {
        by_session: Uuid,
    },
    /// "Ce n'est pas moi" in the sign-in mail; an incident was opened.
    Reported {
        incident: Uuid,
    },
    /// The supervising professional ended the delegated session.
    ByAuthority,
    /// The professional withdrew the delegate's authorisation.
    DelegationWithdrawn,
    /// The structure withdrew the staff member.
    StaffWithdrawn,
    /// The account's password was changed in another session.
    PasswordChanged,
    /// A password sign-in whose SMS code came too late, or wrong too many times.
    SecondFactorExpired,
    SecondFactorFailed,
}

impl SessionEnd {
    pub fn code(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::EndedByUser { .. } => "ended_by_user",
            Self::Reported { .. } => "reported",
            Self::ByAuthority => "ended_by_authority",
            Self::DelegationWithdrawn => "delegation_withdrawn",
            Self::StaffWithdrawn => "staff_withdrawn",
            Self::PasswordChanged => "password_changed",
            Self::SecondFactorExpired => "second_factor_expired",
            Self::SecondFactorFailed => "second_factor_failed",
        }
    }

    fn message(self) -> Option<&'static str> {
        match self {
            Self::ByAuthority => {
                Some("Le professionnel responsable a terminé cette session de saisie déléguée.")
            }
            Self::DelegationWithdrawn => Some(
                "Le professionnel responsable vous a retiré l'autorisation de saisir sous sa responsabilité.",
            ),
            Self::StaffWithdrawn => Some("La structure vous a retiré la délégation de saisie."),
            Self::PasswordChanged => {
                Some("Le mot de passe du compte a été changé : reconnectez-vous.")
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum DomainEvent {
    /// A session ended (it was open until now).
    SessionEnded {
        session: Uuid,
        /// The professional signed in, or the authority a delegate typed under.
        professional: Option<Uuid>,
        /// The staff member, for a delegated session.
        delegate: Option<Uuid>,
        terminal: Option<Uuid>,
        reason: SessionEnd,
        at: chrono::DateTime<chrono::Utc>,
    },
    /// A professional's session opened (any method but a structure account's password).
    SessionOpened {
        professional: Uuid,
        session: Uuid,
        method: String,
        terminal: Option<Uuid>,
    },
    /// "Ce n'est pas moi" on a session that had already ended: the report is what is recorded.
    SessionReported { session: Uuid, incident: Uuid },
    /// A staff member registered a passkey (the work's actor) with their link.
    StaffPasskeyRegistered { passkey: Uuid },
    /// A staff member signed in with their passkey (no authority yet).
    DelegateSignedIn { staff: Uuid, session: Uuid },
    /// A computer signed in with a passkey showed the QR code that activates a phone.
    ActivationQrShown,
    /// A structure account replaced its password (the work's actor).
    PasswordChanged,
    /// A security officer closed an incident.
    IncidentClosed { incident: Uuid },
    /// A security officer lifted an identity's push sign-in freeze, for this reason.
    PushUnfrozen { national_id: String, reason: String },
    /// A professional registered a passkey (the work's actor).
    PasskeyRegistered { passkey: Uuid },
    /// A passkey or an approver phone was revoked: by its owner, their structure's manager, a
    /// security officer, a new staff link, or the mail's "Ce n'est pas moi" (`incident`).
    CredentialRevoked {
        credential: Uuid,
        kind: vigie_shared::api::credentials::CredentialKind,
        owner: Uuid,
        reason: &'static str,
        incident: Option<Uuid>,
    },
    /// A terminal asked for push sign-in. `professional` is `None` for an identity that is
    /// unknown, frozen or without a phone (the request then just expires).
    ApprovalRequested {
        request: PendingApproval,
        professional: Option<Uuid>,
        delegate: Option<Uuid>,
    },
    /// A request left `pending`: decided on the phone, cancelled, expired or reported. The
    /// work's actor moved it (the terminal for a cancel, the identity's owner otherwise).
    ApprovalMoved {
        approval: Uuid,
        professional: Option<Uuid>,
        terminal: Uuid,
        to: ApprovalStatus,
        /// "Ce n'est pas moi": what the report did besides.
        report: Option<ReportOutcome>,
    },
    /// The phone gave a code that is not the terminal's.
    ApprovalCodeRejected {
        approval: Uuid,
        professional: Uuid,
        attempt: i32,
    },
    /// Too many wrong codes: the request is refused.
    ApprovalRefusedForCodes { approval: Uuid, professional: Uuid },
    /// A structure account's password was right; the SMS code is sent.
    PasswordAccepted { account: Uuid, session: Uuid },
    /// A wrong password, counted.
    PasswordRejected { account: Uuid, failures: i32 },
    /// The wrong password that locked the account.
    AccountLocked { account: Uuid, failures: i32 },
    /// The wrong SMS code that used up the account's day of codes: locked, owner mailed,
    /// incident opened.
    SecondFactorLocked {
        account: Uuid,
        failures: i32,
        incident: Uuid,
    },
    /// A password sign-in refused: the account's SMS codes for the hour are spent.
    SmsCapReached { account: Uuid },
    /// A sign-in attempt on a locked account (not counted).
    LockedAccountTried { account: Uuid },
    /// A wrong second-factor code, counted on the session.
    SecondFactorRejected {
        account: Uuid,
        session: Uuid,
        attempt: i32,
    },
    /// A structure account's session passed its second factor.
    SecondFactorPassed { account: Uuid, session: Uuid },
    /// An activation link and SMS code were sent to a professional.
    ActivationStarted {
        professional: Uuid,
        activation: Uuid,
    },
    /// A wrong activation SMS code, counted.
    ActivationCodeRejected {
        professional: Uuid,
        activation: Uuid,
        attempt: i32,
    },
    /// Link and code were right: an enrolment token was issued.
    ActivationVerified {
        professional: Uuid,
        activation: Uuid,
    },
    /// A vaccination act was written: its consultation and, when given, its injection.
    VaccinationRecorded {
        patient: Uuid,
        consultation: Uuid,
        injection: Option<Uuid>,
        structure: Uuid,
        /// Typed by a delegate: the entry the supervising professional (the work's authority)
        /// sees arrive.
        delegated: Option<Box<DelegatedEntry>>,
        /// The injection and its patient, as the open-data counts need them.
        injected: Option<Box<Injected>>,
        /// Entered offline: under which permit, on which device, at what device time.
        offline: Option<Box<OfflineOrigin>>,
    },
    /// A patient's file was opened by typing the full NIR (the person is there).
    PatientLookedUp { patient: Uuid },
    /// A NIR typed matched nobody: kept under its keyed fingerprint, never the NIR.
    PatientLookupMissed { nir_key: String },
    /// A patient's data was read: the file, the certificate or the printable recap.
    PatientRead { patient: Uuid, what: &'static str },
    /// A search by name and birth date (the name typed is not kept; the number found is).
    PatientsSearched { found: usize },
    /// Look-ups past the hourly limit: refused; the first refusal of the hour opens an incident.
    PatientLookupsExceeded { incident: Option<Uuid> },
    /// The author corrected an injection within its window.
    InjectionCorrected {
        before: Box<injection::Model>,
        after: Box<injection::Model>,
    },
    /// The author invalidated an injection within its window.
    InjectionInvalidated { before: Box<injection::Model> },
    /// An adverse effect was declared after this injection.
    AdverseEffectDeclared { injection: Uuid },
    /// A staff member's session took the professional's authority (the work's actor types,
    /// under that authority), after the request `approval` was approved.
    DelegatedSessionOpened {
        approval: Uuid,
        view: Box<DelegatedSessionView>,
    },
    /// A professional let a staff member type under their authority (the work's actor).
    DelegationGranted { staff: Uuid },
    /// …and withdrew it; that staff member's sessions under this authority ended.
    DelegationWithdrawn { staff: Uuid, sessions_ended: usize },
    /// A structure declared a staff member (or declared again one who was withdrawn).
    StaffDeclared { staff: Uuid },
    /// A new passkey link for a staff member (the previous one stops working).
    StaffEnrolmentIssued { staff: Uuid },
    /// A structure withdrew a staff member; their open sessions ended.
    StaffWithdrawn { staff: Uuid, sessions_ended: usize },
    /// A structure's manager changed its address or opening hours.
    StructureUpdated { structure: Uuid },
    /// A structure's manager enrolled a hall tablet (its device key) under a name.
    TerminalEnrolled { terminal: Uuid, structure: Uuid },
    /// …or revoked it: its signatures no longer name it.
    TerminalRevoked { terminal: Uuid, structure: Uuid },
    /// A structure's lot was registered.
    LotCreated { lot: Uuid },
    /// A lot was put back in use or withdrawn.
    LotSwitched { lot: Uuid, active: bool },
    /// Doses of a lot were declared lost.
    LotWasted { lot: Uuid, doses: i32 },
    /// A professional declared (or updated) their own practice.
    OwnPracticeDeclared { structure: Uuid },
    /// A device got an offline permit.
    OfflinePermitIssued { permit: Uuid, device: Uuid },
    /// An offline permit was revoked (by its holder or the responsible professional).
    OfflinePermitRevoked { permit: Uuid },
    /// An offline entry was refused at sync (made after its permit ended, invalid…).
    OfflineEntryRefused {
        permit: Uuid,
        entry: Uuid,
        device_time: chrono::DateTime<chrono::Utc>,
    },
    /// The professional looked again at an offline entry listed "À vérifier".
    OfflineEntryReviewed { entry: Uuid },
    /// The responsible professional (the work's actor) contested an entry a delegate typed
    /// in session `typed_in`.
    DelegatedEntryContested {
        entry: Box<DelegatedEntry>,
        typed_in: Uuid,
        notice: EntryContestedNotice,
    },
}

/// Where an entry made offline comes from: the proof of who entered it, on what, when.
#[derive(Debug, Clone)]
pub struct OfflineOrigin {
    pub permit: Uuid,
    pub device: Uuid,
    pub device_time: chrono::DateTime<chrono::Utc>,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub flagged: Vec<vigie_shared::api::offline::ReviewReason>,
}

/// A recorded injection and the patient it was given to.
#[derive(Debug, Clone)]
pub struct Injected {
    pub patient: patient::Model,
    pub injection: injection::Model,
}

/// What a fraud report did besides refusing its request.
#[derive(Debug, Clone)]
pub struct ReportOutcome {
    pub cancelled_others: usize,
    pub push_frozen_until: chrono::DateTime<chrono::Utc>,
    pub incident: Uuid,
}

/// A live event a stream hears once the work commits.
pub struct LiveNotice {
    pub channel: String,
    pub event: LiveEvent,
}

fn by(id: Uuid) -> Option<String> {
    Some(id.to_string())
}

impl DomainEvent {
    /// The audit event: the work's actor, unless the event names who acted.
    pub fn audit(&self, actor: &Actor) -> audit::Event {
        let mut e = audit::Event::new(self.action());
        e.actor = actor.id.map(|id| id.to_string());
        e.authority = actor.authority.map(|id| id.to_string());
        e.session_id = actor.session;
        e.terminal = actor.terminal.map(|id| id.to_string());
        match self {
            Self::SessionEnded {
                session,
                professional,
                delegate,
                terminal,
                reason,
                ..
            } => {
                e.session_id = Some(*session);
                if delegate.is_some() {
                    e.authority = professional.map(|p| p.to_string());
                    e.terminal = terminal.map(|t| t.to_string());
                }
                e.details = match reason {
                    SessionEnd::EndedByUser { by_session } => {
                        serde_json::json!({ "by_session": by_session })
                    }
                    SessionEnd::Reported { incident } => {
                        serde_json::json!({ "incident": incident })
                    }
                    SessionEnd::Logout
                    | SessionEnd::SecondFactorExpired
                    | SessionEnd::SecondFactorFailed => serde_json::Value::Null,
                    other => serde_json::json!({ "reason": other.code() }),
                };
            }
            Self::SessionOpened {
                professional,
                session,
                method,
                terminal,
            } => {
                // The professional signs in, even when a delegate's session takes their
                // authority: the mail and this event are theirs.
                e.actor = by(*professional);
                e.authority = None;
                e.session_id = Some(*session);
                e.terminal = terminal.map(|t| t.to_string());
                e.details = serde_json::json!({ "method": method });
            }
            Self::SessionReported { session, incident } => {
                e.session_id = Some(*session);
                e.details = serde_json::json!({ "incident": incident });
            }
            Self::PasskeyRegistered { passkey } | Self::StaffPasskeyRegistered { passkey } => {
                e.subject = by(*passkey)
            }
            Self::CredentialRevoked {
                credential,
                kind,
                owner,
                reason,
                incident,
            } => {
                e.subject = by(*credential);
                e.details = serde_json::json!({
                    "kind": kind, "owner": owner, "reason": reason, "incident": incident,
                });
            }
            Self::DelegateSignedIn { staff, session } => {
                e.actor = by(*staff);
                e.session_id = Some(*session);
            }
            Self::ActivationQrShown | Self::PasswordChanged => {}
            Self::IncidentClosed { incident } => e.subject = by(*incident),
            Self::PushUnfrozen {
                national_id,
                reason,
            } => {
                e.subject = Some(national_id.clone());
                e.details = serde_json::json!({ "reason": reason });
            }
            Self::ApprovalRequested {
                request,
                professional,
                delegate,
            } => {
                e.subject = Some(request.approval_id.to_string());
                e.details = serde_json::json!({
                    "identity_known": professional.is_some(),
                    "atypical": !request.atypical.is_empty(),
                    "delegate": delegate,
                });
                // The identity asked for is the actor of its own requests; a delegate asks
                // under that professional's authority.
                if let Some(p) = professional {
                    match delegate {
                        Some(staff) => {
                            e.actor = by(*staff);
                            e.authority = by(*p);
                        }
                        None => e.actor = by(*p),
                    }
                }
            }
            Self::ApprovalMoved {
                approval,
                terminal,
                report,
                ..
            } => {
                e.subject = by(*approval);
                e.terminal = by(*terminal);
                if let Some(r) = report {
                    e.details = serde_json::json!({
                        "cancelled_others": r.cancelled_others,
                        "push_frozen_until": r.push_frozen_until,
                        "incident": r.incident,
                    });
                }
            }
            Self::ApprovalCodeRejected {
                approval,
                professional,
                attempt,
            } => {
                e.actor = by(*professional);
                e.subject = by(*approval);
                e.details = serde_json::json!({ "attempt": attempt });
            }
            Self::ApprovalRefusedForCodes {
                approval,
                professional,
            } => {
                e.actor = by(*professional);
                e.subject = by(*approval);
                e.details = serde_json::json!({ "reason": "wrong_code" });
            }
            Self::PasswordAccepted { account, session } => {
                e.actor = by(*account);
                e.session_id = Some(*session);
            }
            Self::PasswordRejected { account, failures }
            | Self::AccountLocked { account, failures } => {
                e.actor = by(*account);
                e.details = serde_json::json!({ "failures": failures });
            }
            Self::SecondFactorLocked {
                account,
                failures,
                incident,
            } => {
                e.actor = by(*account);
                e.details = serde_json::json!({ "failures": failures, "incident": incident });
            }
            Self::LockedAccountTried { account } | Self::SmsCapReached { account } => {
                e.actor = by(*account)
            }
            Self::SecondFactorRejected {
                account,
                session,
                attempt,
            } => {
                e.actor = by(*account);
                e.session_id = Some(*session);
                e.details = serde_json::json!({ "attempt": attempt });
            }
            Self::SecondFactorPassed { account, session } => {
                e.actor = by(*account);
                e.session_id = Some(*session);
                e.details = serde_json::json!({ "method": "password+sms" });
            }
            Self::ActivationStarted {
                professional,
                activation,
            }
            | Self::ActivationVerified {
                professional,
                activation,
            } => {
                e.actor = by(*professional);
                e.subject = by(*activation);
            }
            Self::ActivationCodeRejected {
                professional,
                activation,
                attempt,
            } => {
                e.actor = by(*professional);
                e.subject = by(*activation);
                e.details = serde_json::json!({ "attempt": attempt });
            }
            Self::VaccinationRecorded {
                patient,
                consultation,
                injection,
                structure,
                offline,
                ..
            } => {
                e.subject = by(injection.unwrap_or(*consultation));
                e.details = serde_json::json!({
                    "patient": patient,
                    "consultation": consultation,
                    "injection": injection,
                    "structure": structure,
                });
                if let Some(o) = offline {
                    e.details["offline"] = serde_json::json!({
                        "permit": o.permit,
                        "device": o.device,
                        "device_time": o.device_time,
                        "received_at": o.received_at,
                        "flagged": o.flagged,
                    });
                }
            }
            Self::PatientLookedUp { patient } => e.subject = by(*patient),
            Self::PatientLookupMissed { nir_key } => e.subject = Some(nir_key.clone()),
            Self::PatientRead { patient, what } => {
                e.subject = by(*patient);
                e.details = serde_json::json!({ "what": what });
            }
            Self::PatientsSearched { found } => {
                e.details = serde_json::json!({ "found": found });
            }
            Self::PatientLookupsExceeded { incident } => {
                e.details = serde_json::json!({ "incident": incident });
            }
            Self::InjectionCorrected { after, .. } => {
                e.subject = by(after.id);
                e.details = serde_json::json!({ "version": after.version });
            }
            Self::InjectionInvalidated { before } => e.subject = by(before.id),
            Self::AdverseEffectDeclared { injection } => e.subject = by(*injection),
            Self::LotCreated { lot } | Self::LotSwitched { lot, .. } => e.subject = by(*lot),
            Self::LotWasted { lot, doses } => {
                e.subject = by(*lot);
                e.details = serde_json::json!({ "doses": doses });
            }
            Self::OwnPracticeDeclared { structure } => e.subject = by(*structure),
            Self::OfflinePermitIssued { permit, device } => {
                e.subject = by(*permit);
                e.details = serde_json::json!({ "device": device });
            }
            Self::OfflinePermitRevoked { permit } => e.subject = by(*permit),
            Self::OfflineEntryRefused {
                permit,
                entry,
                device_time,
            } => {
                e.subject = by(*entry);
                e.details = serde_json::json!({ "permit": permit, "device_time": device_time });
            }
            Self::OfflineEntryReviewed { entry } => e.subject = by(*entry),
            Self::StructureUpdated { structure } => e.subject = by(*structure),
            Self::TerminalEnrolled {
                terminal,
                structure,
            }
            | Self::TerminalRevoked {
                terminal,
                structure,
            } => {
                e.subject = by(*terminal);
                e.details = serde_json::json!({ "structure": structure });
            }
            Self::DelegatedSessionOpened { approval, .. } => e.subject = by(*approval),
            Self::DelegationGranted { staff }
            | Self::StaffDeclared { staff }
            | Self::StaffEnrolmentIssued { staff } => e.subject = by(*staff),
            Self::DelegationWithdrawn {
                staff,
                sessions_ended,
            }
            | Self::StaffWithdrawn {
                staff,
                sessions_ended,
            } => {
                e.subject = by(*staff);
                e.details = serde_json::json!({ "sessions_ended": sessions_ended });
            }
            Self::DelegatedEntryContested {
                entry, typed_in, ..
            } => {
                // Written in the typist's session, where the entry was made.
                e.subject = by(entry.injection_id);
                e.session_id = Some(*typed_in);
            }
        }
        e
    }

    /// The audit action: stable names, read by security officers and tests.
    pub fn action(&self) -> &'static str {
        match self {
            Self::SessionEnded {
                reason, delegate, ..
            } => match reason {
                SessionEnd::Logout => "session.logout",
                SessionEnd::SecondFactorExpired => "account.second_factor_expired",
                SessionEnd::SecondFactorFailed => "account.second_factor_failed",
                SessionEnd::EndedByUser { .. } => "session.ended",
                SessionEnd::Reported { .. } => "session.reported",
                _ if delegate.is_some() => "delegation.session_ended",
                _ => "session.ended",
            },
            Self::SessionOpened { .. } => "session.opened",
            Self::SessionReported { .. } => "session.reported",
            Self::PasskeyRegistered { .. } => "passkey.registered",
            Self::CredentialRevoked { .. } => "credential.revoked",
            Self::StaffPasskeyRegistered { .. } => "staff.passkey_registered",
            Self::DelegateSignedIn { .. } => "delegate.signed_in",
            Self::ActivationQrShown => "activation.qr_shown",
            Self::PasswordChanged => "account.password_changed",
            Self::IncidentClosed { .. } => "incident.closed",
            Self::PushUnfrozen { .. } => "push.unfrozen",
            Self::ApprovalRequested { .. } => "approval.requested",
            Self::ApprovalMoved { to, .. } => match to {
                ApprovalStatus::Pending => "approval.requested",
                ApprovalStatus::Approved => "approval.approved",
                ApprovalStatus::Refused => "approval.refused",
                ApprovalStatus::Reported => "approval.reported",
                ApprovalStatus::Cancelled => "approval.cancelled",
                ApprovalStatus::Expired => "approval.expired",
            },
            Self::ApprovalCodeRejected { .. } => "approval.wrong_code",
            Self::ApprovalRefusedForCodes { .. } => "approval.refused",
            Self::PasswordAccepted { .. } => "account.password_accepted",
            Self::PasswordRejected { .. } => "account.sign_in_failed",
            Self::AccountLocked { .. } => "account.locked",
            Self::LockedAccountTried { .. } => "account.sign_in_refused_locked",
            Self::SecondFactorLocked { .. } => "account.second_factor_locked",
            Self::SmsCapReached { .. } => "account.sms_cap_reached",
            Self::SecondFactorRejected { .. } => "account.second_factor_wrong_code",
            Self::SecondFactorPassed { .. } => "session.opened",
            Self::ActivationStarted { .. } => "activation.started",
            Self::ActivationCodeRejected { .. } => "activation.wrong_code",
            Self::ActivationVerified { .. } => "activation.verified",
            Self::VaccinationRecorded { .. } => "vaccination.recorded",
            Self::PatientLookedUp { .. } => "patient.looked_up",
            Self::PatientLookupMissed { .. } => "patient.lookup_missed",
            Self::PatientRead { .. } => "patient.read",
            Self::PatientsSearched { .. } => "patient.searched",
            Self::PatientLookupsExceeded { .. } => "patient.lookups_exceeded",
            Self::InjectionCorrected { .. } => "injection.corrected",
            Self::InjectionInvalidated { .. } => "injection.invalidated",
            Self::AdverseEffectDeclared { .. } => "adverse_effect.declared",
            Self::DelegatedEntryContested { .. } => "vaccination.contested",
            Self::LotCreated { .. } => "lot.created",
            Self::LotWasted { .. } => "lot.wasted",
            Self::OwnPracticeDeclared { .. } => "practice.own_declared",
            Self::OfflinePermitIssued { .. } => "offline.permit_issued",
            Self::OfflinePermitRevoked { .. } => "offline.permit_revoked",
            Self::OfflineEntryRefused { .. } => "offline.entry_refused",
            Self::OfflineEntryReviewed { .. } => "offline.entry_reviewed",
            Self::StructureUpdated { .. } => "structure.updated",
            Self::TerminalEnrolled { .. } => "terminal.enrolled",
            Self::TerminalRevoked { .. } => "terminal.revoked",
            Self::DelegatedSessionOpened { .. } => "delegation.session_opened",
            Self::DelegationGranted { .. } => "delegation.granted",
            Self::DelegationWithdrawn { .. } => "delegation.withdrawn",
            Self::StaffDeclared { .. } => "staff.declared",
            Self::StaffEnrolmentIssued { .. } => "staff.enrolment_issued",
            Self::StaffWithdrawn { .. } => "staff.withdrawn",
            Self::LotSwitched { active: true, .. } => "lot.activated",
            Self::LotSwitched { active: false, .. } => "lot.deactivated",
        }
    }

    /// The live events this one sends.
    pub fn live(&self, actor: &Actor) -> Vec<LiveNotice> {
        match self {
            Self::SessionEnded {
                session,
                professional,
                delegate,
                reason,
                at,
                ..
            } => {
                let mut out = vec![notice(
                    events::session_channel(*session),
                    LiveEvent::SessionEnded(SessionEnded {
                        reason: Some(reason.code().into()),
                        message: reason.message().map(str::to_owned),
                    }),
                )];
                if let (Some(_), Some(p)) = (delegate, professional) {
                    out.push(notice(
                        events::supervision_channel(*p),
                        LiveEvent::DelegatedSessionEnded(DelegatedSessionEnded {
                            session_id: *session,
                            ended_at: *at,
                        }),
                    ));
                }
                out
            }
            Self::ApprovalRequested {
                request,
                professional: Some(p),
                ..
            } => vec![notice(
                events::professional_channel(*p),
                LiveEvent::ApprovalRequested(request.clone()),
            )],
            Self::ApprovalMoved {
                approval,
                professional,
                to,
                ..
            } => approval_moved(*approval, *professional, *to),
            Self::ApprovalRefusedForCodes {
                approval,
                professional,
            } => approval_moved(*approval, Some(*professional), ApprovalStatus::Refused),
            Self::VaccinationRecorded {
                delegated: Some(entry),
                ..
            } => supervision(actor, LiveEvent::DelegatedEntry(entry.as_ref().clone()))
                .into_iter()
                .collect(),
            // A revoked phone's streams end at once.
            Self::CredentialRevoked {
                credential,
                kind: vigie_shared::api::credentials::CredentialKind::Phone,
                ..
            } => vec![notice(
                events::device_channel(*credential),
                LiveEvent::SessionEnded(SessionEnded {
                    reason: Some("device_revoked".into()),
                    message: Some("Ce téléphone a été retiré de vos appareils.".into()),
                }),
            )],
            Self::DelegatedSessionOpened { view, .. } => {
                supervision(actor, LiveEvent::DelegatedSession(view.as_ref().clone()))
                    .into_iter()
                    .collect()
            }
            Self::DelegatedEntryContested {
                entry,
                typed_in,
                notice: told,
            } => {
                let mut out = vec![notice(
                    events::session_channel(*typed_in),
                    LiveEvent::EntryContested(told.clone()),
                )];
                out.extend(supervision(
                    actor,
                    LiveEvent::DelegatedEntry(entry.as_ref().clone()),
                ));
                out
            }
            _ => Vec::new(),
        }
    }
}

/// For the supervision screens of the professional whose authority the work acts under.
fn supervision(actor: &Actor, event: LiveEvent) -> Option<LiveNotice> {
    actor
        .authority
        .map(|p| notice(events::supervision_channel(p), event))
}

/// The terminal that asked and the phone that was asked both follow the request.
fn approval_moved(
    approval: Uuid,
    professional: Option<Uuid>,
    to: ApprovalStatus,
) -> Vec<LiveNotice> {
    let event = ApprovalEvent {
        approval_id: approval,
        status: to,
    };
    let mut out = vec![notice(
        events::approval_channel(approval),
        LiveEvent::ApprovalStatus(event.clone()),
    )];
    if let Some(p) = professional {
        out.push(notice(
            events::professional_channel(p),
            LiveEvent::ApprovalStatus(event),
        ));
    }
    out
}

fn notice(channel: String, event: LiveEvent) -> LiveNotice {
    LiveNotice { channel, event }
}
