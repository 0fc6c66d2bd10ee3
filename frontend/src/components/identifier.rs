//! Identifier fields — the national identifier (8 + RPPS), a structure account's identifier, a
//! staff member's CPE card number —
//! checked as they are typed with the same rule the server applies, so a malformed identifier
//! never leaves the device.

use leptos::prelude::*;
use vigie_shared::{AccountIdentifier, CpeNumber, IdError, NationalId};

/// What was typed, and whether it parses.
pub struct IdentifierInput<T: 'static> {
    typed: RwSignal<String>,
    parse: fn(&str) -> Result<T, IdError>,
    /// `None` when well formed.
    error: Memo<Option<IdError>>,
}

// By hand: a derive would ask `T: Copy`, and identifiers are not.
impl<T> Clone for IdentifierInput<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for IdentifierInput<T> {}

pub type NationalIdInput = IdentifierInput<NationalId>;
pub type AccountIdInput = IdentifierInput<AccountIdentifier>;
pub type CpeInput = IdentifierInput<CpeNumber>;

impl<T> IdentifierInput<T> {
    pub fn new(parse: fn(&str) -> Result<T, IdError>, initial: &str) -> Self {
        let typed = RwSignal::new(initial.to_owned());
        let error = Memo::new(move |_| typed.with(|typed| parse(typed).err()));
        Self {
            typed,
            parse,
            error,
        }
    }

    /// Empties the field (after a form was sent).
    pub fn clear(self) {
        self.typed.set(String::new());
    }

    /// The identifier when it is well formed (untracked: for submit handlers).
    pub fn value(self) -> Option<T> {
        self.typed.with_untracked(|typed| (self.parse)(typed).ok())
    }

    /// Not (yet) a well-formed identifier (reactive): the submit button stays disabled.
    pub fn is_invalid(self) -> bool {
        self.error.with(Option::is_some)
    }

    /// The error worth showing: nothing typed yet is not one.
    fn shown_error(self) -> Option<IdError> {
        if self.typed.with(String::is_empty) {
            None
        } else {
            self.error.get()
        }
    }
}

#[component]
pub fn NationalIdField(input: NationalIdInput, id: &'static str) -> impl IntoView {
    view! {
        <IdentifierField
            input
            id
            label="Identifiant national (8 + RPPS)"
            hint="12 chiffres : « 8 » suivi de votre numéro RPPS."
            inputmode="numeric"
        />
    }
}

#[component]
pub fn AccountIdField(input: AccountIdInput, id: &'static str) -> impl IntoView {
    view! {
        <IdentifierField
            input
            id
            label="Identifiant (FINESS ou n° Assurance Maladie)"
            hint="9 caractères : le numéro FINESS de la structure ou le numéro Assurance Maladie du compte."
            // A FINESS may hold letters (2A, 2B in Corsica): the full keyboard.
            inputmode="text"
        />
    }
}

/// A staff member's CPE card number (10 digits). `username` only where it signs in.
#[component]
pub fn CpeField(
    input: CpeInput,
    #[prop(into)] id: String,
    #[prop(default = "Numéro de carte CPE")] label: &'static str,
    #[prop(default = "username")] autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <IdentifierField
            input
            id
            label
            hint="10 chiffres, inscrits sur la carte CPE (carte de personnel d'établissement)."
            inputmode="numeric"
            autocomplete
        />
    }
}

#[component]
fn IdentifierField<T: 'static>(
    input: IdentifierInput<T>,
    #[prop(into)] id: String,
    label: &'static str,
    hint: &'static str,
    inputmode: &'static str,
    #[prop(default = "username")] autocomplete: &'static str,
) -> impl IntoView {
    let hint_id = format!("{id}-aide");
    let error_id = format!("{id}-erreur");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <p id=hint_id.clone() class="hint">{hint}</p>
            <input
                id=id
                name="username"
                type="text"
                inputmode=inputmode
                autocomplete=autocomplete
                autocapitalize="off"
                spellcheck="false"
                aria-describedby=format!("{hint_id} {error_id}")
                aria-invalid=move || if input.shown_error().is_some() { "true" } else { "false" }
                prop:value=move || input.typed.get()
                on:input=move |ev| input.typed.set(event_target_value(&ev))
            />
            // Space kept even when empty, so the button does not move while typing.
            <p id=error_id class="field-error">
                {move || input.shown_error().map(|error| error.to_string())}
            </p>
        </div>
    }
}
