//! The national identifier field (8 + RPPS), checked as it is typed with the same rule the
//! server applies, so a malformed identifier never leaves the device.

use leptos::prelude::*;
use vigie_shared::{IdError, NationalId};

/// What was typed and what it parses to.
#[derive(Clone, Copy)]
pub struct NationalIdInput {
    typed: RwSignal<String>,
    parsed: Memo<Result<NationalId, IdError>>,
}

impl NationalIdInput {
    pub fn new(initial: &str) -> Self {
        let typed = RwSignal::new(initial.to_owned());
        let parsed = Memo::new(move |_| typed.with(|typed| NationalId::parse(typed)));
        Self { typed, parsed }
    }

    /// The identifier when it is well formed (untracked: for submit handlers).
    pub fn value(self) -> Option<NationalId> {
        self.parsed.get_untracked().ok()
    }

    /// Not (yet) a well-formed identifier (reactive): the submit button stays disabled.
    pub fn is_invalid(self) -> bool {
        self.parsed.with(Result::is_err)
    }

    /// The error worth showing: nothing typed yet is not one.
    fn error(self) -> Option<IdError> {
        match (self.typed.with(String::is_empty), self.parsed.get()) {
            (false, Err(error)) => Some(error),
            _ => None,
        }
    }
}

#[component]
pub fn NationalIdField(input: NationalIdInput, id: &'static str) -> impl IntoView {
    let hint_id = format!("{id}-aide");
    let error_id = format!("{id}-erreur");
    view! {
        <div class="field">
            <label for=id>"Identifiant national (8 + RPPS)"</label>
            <p id=hint_id.clone() class="hint">"12 chiffres : « 8 » suivi de votre numéro RPPS."</p>
            <input
                id=id
                name="username"
                type="text"
                inputmode="numeric"
                autocomplete="username"
                autocapitalize="off"
                spellcheck="false"
                aria-describedby=format!("{hint_id} {error_id}")
                aria-invalid=move || if input.error().is_some() { "true" } else { "false" }
                prop:value=move || input.typed.get()
                on:input=move |ev| input.typed.set(event_target_value(&ev))
            />
            // Space kept even when empty, so the button does not move while typing.
            <p id=error_id class="field-error">
                {move || input.error().map(|error| error.to_string())}
            </p>
        </div>
    }
}
