//! One module per screen, named after its route.

pub mod activation;
pub mod home;
pub mod not_found;
pub mod personnel;
pub mod personnel_activation;
pub mod report;
pub mod security;
pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod staff;
pub mod structure;
pub mod supervision;
pub mod terminal;

/// Where a professional lands once signed in (passkey or phone): their task, not the home page.
/// A delegate lands there too once the professional approves; a structure account stays on
/// its own page.
pub const SIGNED_IN_HOME: &str = vigie_shared::routes::Page::Vaccination.path();

/// Sets the tab title, so screen readers and the tab list say which screen this is.
pub fn set_title(title: &str) {
    let full = if title == "Vigie" {
        title.to_owned()
    } else {
        format!("{title} — Vigie")
    };
    leptos::prelude::document().set_title(&full);
}

/// Reads the address's fragment (where mailed links carry their one-time tokens: browsers
/// never send it to a server, so no log or Referer holds it) and removes it from the address
/// bar and the history.
pub fn take_fragment() -> String {
    let Some(window) = web_sys::window() else {
        return String::new();
    };
    let location = window.location();
    let fragment = location.hash().unwrap_or_default();
    if !fragment.trim_start_matches('#').is_empty()
        && let (Ok(path), Ok(query), Ok(history)) =
            (location.pathname(), location.search(), window.history())
    {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}")),
        );
    }
    fragment
}

/// The value of `key` in a fragment such as `#jeton=abc` (other `&`-separated keys ignored);
/// `None` when absent or empty.
pub fn fragment_value(fragment: &str, key: &str) -> Option<String> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Whether the fragment names `key` at all, even without a value (a link cut short).
pub fn fragment_has(fragment: &str, key: &str) -> bool {
    fragment
        .trim_start_matches('#')
        .split('&')
        .any(|pair| pair.split('=').next() == Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_the_fragment() {
        assert_eq!(
            fragment_value("#jeton=abc-_123", "jeton"),
            Some("abc-_123".into())
        );
        assert_eq!(
            fragment_value("#x=1&jeton=abc", "jeton"),
            Some("abc".into())
        );
        assert_eq!(fragment_value("#lien=xyz", "lien"), Some("xyz".into()));
        assert_eq!(fragment_value("#jeton=", "jeton"), None);
        assert_eq!(fragment_value("", "jeton"), None);
        assert_eq!(fragment_value("#token=abc", "jeton"), None);
        assert_eq!(fragment_value("#jetons=abc", "jeton"), None);
        assert!(fragment_has("#jeton=", "jeton"));
        assert!(!fragment_has("#lien=abc", "jeton"));
    }
}
