//! A 6-digit code field (the code shown on the terminal, the code received by SMS): digits
//! only, whatever is typed or pasted ("123 456" works), numeric keypad on phones.

use leptos::prelude::*;

pub const CODE_LENGTH: usize = 6;

/// The digits of what was typed, at most six.
pub fn digits(typed: &str) -> String {
    typed
        .chars()
        .filter(char::is_ascii_digit)
        .take(CODE_LENGTH)
        .collect()
}

pub fn is_complete(code: &str) -> bool {
    code.len() == CODE_LENGTH
}

#[component]
pub fn CodeField(
    code: RwSignal<String>,
    id: String,
    label: &'static str,
    hint: &'static str,
    /// `one-time-code` for a code received by SMS (the phone offers it), `off` otherwise.
    #[prop(default = "off")]
    autocomplete: &'static str,
) -> impl IntoView {
    let hint_id = format!("{id}-aide");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <p id=hint_id.clone() class="hint">{hint}</p>
            <input
                id=id
                class="code-input"
                type="text"
                inputmode="numeric"
                autocomplete=autocomplete
                // Room for a space between the two groups of three.
                maxlength="7"
                aria-describedby=hint_id
                prop:value=move || code.get()
                on:input=move |ev| code.set(digits(&event_target_value(&ev)))
            />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_six_digits_are_kept() {
        assert_eq!(digits("123 456"), "123456");
        assert_eq!(digits("12a3"), "123");
        assert_eq!(digits("12345678"), "123456");
        assert!(is_complete("123456"));
        assert!(!is_complete("12345"));
    }
}
