//! What the phone says and reads, as pure functions (unit-tested without a browser).

use uuid::Uuid;
use vigie_shared::api::push::PushMessage;

/// The first thing a request card says: who asks to do what, where.
pub fn request_sentence(terminal: &str, place: &str, requested_by: Option<&str>) -> String {
    match requested_by {
        Some(name) => {
            format!(
                "{name} demande à saisir sous votre responsabilité sur « {terminal} » ({place})"
            )
        }
        None => format!("Quelqu'un demande à se connecter en votre nom sur « {terminal} »"),
    }
}

/// Why push sign-in is suspended (`PushFrozen::reported`).
pub fn freeze_reason(reported: bool) -> &'static str {
    if reported {
        "Vous avez répondu « Ce n'est pas moi » à une demande : par précaution, les demandes de \
         connexion à votre nom n'arrivent plus sur ce téléphone."
    } else {
        "Plusieurs demandes de connexion à votre nom ont été refusées ou n'ont pas abouti : par \
         précaution, elles n'arrivent plus sur ce téléphone pour un temps."
    }
}

/// How to sign in meanwhile, and who can lift the suspension earlier.
pub const FREEZE_REMEDY: &str = "La connexion avec votre clé d'accès reste possible : connectez-vous \
avec elle sur un poste. Pour lever la suspension plus tôt, contactez l'équipe sécurité de Vigie : \
elle peut la lever depuis sa page « Sécurité ».";

/// The request a notification opened: `?demande=<id>` in the address.
pub fn requested_in_query(search: &str) -> Option<Uuid> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("demande="))
        .and_then(|id| Uuid::parse_str(id.trim()).ok())
}

/// The request a message of the service worker names (the JSON of a push's data).
pub fn requested_in_message(json: &str) -> Option<Uuid> {
    match serde_json::from_str::<PushMessage>(json).ok()? {
        PushMessage::ApprovalRequest { approval_id } => Some(approval_id),
    }
}

/// What this browser can do about notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushSupport {
    Available,
    /// iOS Safari offers Web Push only to an app added to the home screen (iOS 16.4+).
    IosHomeScreenFirst,
    Unsupported,
}

/// What the browser exposes decides; on iOS without `PushManager`, the home screen is the way.
pub fn push_support(
    service_worker: bool,
    push_manager: bool,
    notification: bool,
    ios: bool,
    standalone: bool,
) -> PushSupport {
    if service_worker && push_manager && notification {
        PushSupport::Available
    } else if ios && !standalone {
        PushSupport::IosHomeScreenFirst
    } else {
        PushSupport::Unsupported
    }
}

/// An iPhone or iPad (iPadOS says "Macintosh", but has a touch screen).
pub fn is_ios(user_agent: &str, max_touch_points: i32) -> bool {
    ["iPhone", "iPad", "iPod"]
        .iter()
        .any(|device| user_agent.contains(device))
        || (user_agent.contains("Macintosh") && max_touch_points > 1)
}

/// A base64url text (with or without padding) as bytes; `None` when it is not one. The
/// server's key is handed to `pushManager.subscribe` as bytes, which every browser accepts.
pub fn base64url_bytes(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    }
    let text = text.trim().trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut bits = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            bits |= value(*c)? << (18 - 6 * i);
        }
        let decoded = bits.to_be_bytes();
        bytes.extend_from_slice(&decoded[1..chunk.len()]);
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_says_who_asks_and_where() {
        assert_eq!(
            request_sentence("Tablette du hall", "Centre Pasteur", None),
            "Quelqu'un demande à se connecter en votre nom sur « Tablette du hall »"
        );
        assert_eq!(
            request_sentence("Tablette 3", "Centre Pasteur", Some("Marie Dupont")),
            "Marie Dupont demande à saisir sous votre responsabilité sur « Tablette 3 » (Centre Pasteur)"
        );
    }

    #[test]
    fn the_freeze_says_why() {
        assert!(freeze_reason(true).contains("Ce n'est pas moi"));
        assert!(!freeze_reason(false).contains("Ce n'est pas moi"));
    }

    #[test]
    fn the_request_comes_from_the_query_or_the_worker() {
        let id = Uuid::parse_str("7c9e6679-7425-40de-944b-e07fc1f90ae7").unwrap();
        assert_eq!(
            requested_in_query("?demande=7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            Some(id)
        );
        assert_eq!(
            requested_in_query("?x=1&demande=7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            Some(id)
        );
        assert_eq!(requested_in_query("?demande=abc"), None);
        assert_eq!(requested_in_query(""), None);
        assert_eq!(
            requested_in_message(
                r#"{"kind":"approval_request","approval_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7"}"#
            ),
            Some(id)
        );
        assert_eq!(requested_in_message(r#"{"kind":"other"}"#), None);
        assert_eq!(requested_in_message("not json"), None);
    }

    #[test]
    fn ios_needs_the_home_screen() {
        assert_eq!(
            push_support(true, true, true, false, false),
            PushSupport::Available
        );
        assert_eq!(
            push_support(true, true, true, true, true),
            PushSupport::Available
        );
        assert_eq!(
            push_support(true, false, false, true, false),
            PushSupport::IosHomeScreenFirst
        );
        assert_eq!(
            push_support(true, false, false, true, true),
            PushSupport::Unsupported
        );
        assert_eq!(
            push_support(false, false, false, false, false),
            PushSupport::Unsupported
        );
        assert!(is_ios(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)",
            5
        ));
        assert!(is_ios("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)", 5));
        assert!(!is_ios(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
            0
        ));
        assert!(!is_ios("Mozilla/5.0 (Linux; Android 14; Pixel 8)", 5));
    }

    #[test]
    fn keys_decode_from_base64url() {
        assert_eq!(base64url_bytes("AQID"), Some(vec![1, 2, 3]));
        assert_eq!(base64url_bytes("AQI"), Some(vec![1, 2]));
        assert_eq!(base64url_bytes("AQ"), Some(vec![1]));
        assert_eq!(base64url_bytes("AQ=="), Some(vec![1]));
        assert_eq!(base64url_bytes("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(base64url_bytes("A"), None);
        assert_eq!(base64url_bytes("A+B/"), None);
        // A P-256 public key: 65 bytes in 87 characters.
        assert_eq!(base64url_bytes(&"B".repeat(87)).map(|b| b.len()), Some(65));
    }
}
