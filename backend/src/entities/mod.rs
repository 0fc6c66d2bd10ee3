//! Database rows (sea-orm entities). Domain rules live in the services, not here.

pub mod activation;
pub mod adverse_effect;
pub mod approval_request;
pub mod approver_device;
pub mod audit_event;
pub mod audit_head;
pub mod audit_pending;
pub mod consultation;
pub mod credential;
pub mod credential_report;
pub mod delegation;
pub mod enrolled_terminal;
pub mod enrolment;
pub mod idempotent_write;
pub mod incident;
pub mod injection;
pub mod injection_revision;
pub mod live_event;
pub mod lot_wastage;
pub mod mail_outbox;
pub mod offline_entry;
pub mod offline_permit;
pub mod password_history;
pub mod patient;
pub mod patient_access;
pub mod practice;
pub mod professional;
pub mod push_freeze;
pub mod push_outbox;
pub mod push_subscription;
pub mod role_grant;
pub mod server_secret;
pub mod session;
pub mod session_credential;
pub mod sms_outbox;
pub mod staff_member;
pub mod structure;
pub mod structure_account;
pub mod structure_manager;
pub mod terminal;
pub mod terminal_nonce;
pub mod terminal_usage;
pub mod vaccine_lot;
pub mod vaccine_product;
pub mod webauthn_ceremony;
pub mod write_guard;

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;
    use vigie_shared::{
        Sex,
        api::{
            approval::ApprovalStatus,
            session::SessionStage,
            vaccination::{ConsultationOutcome, InjectionSite, InjectionStatus},
        },
    };

    /// A value the code does not know is an error, never a plausible default (a session read
    /// as "active", a request read as "expired").
    #[test]
    fn unknown_stored_values_are_errors() {
        assert!(ApprovalStatus::try_from_value(&"approuvé".to_owned()).is_err());
        assert!(ApprovalStatus::try_from_value(&String::new()).is_err());
        assert!(SessionStage::try_from_value(&"Active".to_owned()).is_err());
        assert!(SessionStage::try_from_value(&"admin".to_owned()).is_err());
        // Once a deltoid by default: a site nobody recorded must not appear on a certificate.
        assert!(InjectionSite::try_from_value(&"bras".to_owned()).is_err());
        assert!(InjectionStatus::try_from_value(&"invalid".to_owned()).is_err());
        assert!(Sex::try_from_value(&"X".to_owned()).is_err());
        assert!(ConsultationOutcome::try_from_value(&"vaccinated".to_owned()).is_err());
    }

    /// The values rows already hold read back as before.
    #[test]
    fn stored_vaccination_values_read_back() {
        for (v, site) in [
            ("left_deltoid", InjectionSite::LeftDeltoid),
            ("right_deltoid", InjectionSite::RightDeltoid),
            ("left_thigh", InjectionSite::LeftThigh),
            ("right_thigh", InjectionSite::RightThigh),
        ] {
            assert_eq!(
                InjectionSite::try_from_value(&v.to_owned()).ok(),
                Some(site)
            );
            assert_eq!(site.to_value(), site.code());
        }
        assert_eq!(Sex::Female.to_value(), "F");
        assert_eq!(Sex::try_from_value(&"M".to_owned()).ok(), Some(Sex::Male));
        assert_eq!(InjectionStatus::Invalidated.to_value(), "invalidated");
        assert_eq!(ConsultationOutcome::Postpone.to_value(), "postpone");
    }

    /// Every variant is stored as the wire name both sides already use.
    #[test]
    fn stored_values_are_the_wire_names() {
        for s in [
            ApprovalStatus::Pending,
            ApprovalStatus::Approved,
            ApprovalStatus::Refused,
            ApprovalStatus::Expired,
            ApprovalStatus::Cancelled,
            ApprovalStatus::Reported,
        ] {
            assert_eq!(s.to_value(), s.as_str());
            assert_eq!(ApprovalStatus::try_from_value(&s.to_value()).ok(), Some(s));
            assert_eq!(serde_json::to_value(s).ok(), Some(s.as_str().into()));
        }
        for s in [
            SessionStage::Active,
            SessionStage::SecondFactor,
            SessionStage::PasswordChange,
        ] {
            assert_eq!(s.to_value(), crate::auth::session::stage_name(s));
            assert_eq!(SessionStage::try_from_value(&s.to_value()).ok(), Some(s));
        }
    }
}
