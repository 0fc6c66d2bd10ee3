//! A password field: never spell-checked nor capitalised, with the `autocomplete` that lets a
//! password manager fill it (`current-password`) or offer a new one (`new-password`).

use leptos::prelude::*;

#[component]
pub fn PasswordField(
    value: RwSignal<String>,
    id: &'static str,
    label: &'static str,
    /// `current-password` or `new-password`.
    autocomplete: &'static str,
    /// Ids of the texts that describe the field (hint, rules), if any.
    #[prop(optional)]
    described_by: Option<&'static str>,
    /// A problem with what was typed, shown under the field (room kept even when empty).
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let error_id = format!("{id}-erreur");
    let described_by = match (described_by, error.is_some()) {
        (Some(ids), true) => Some(format!("{ids} {error_id}")),
        (Some(ids), false) => Some(ids.to_owned()),
        (None, true) => Some(error_id.clone()),
        (None, false) => None,
    };
    let invalid = move || error.is_some_and(|error| error.with(Option::is_some));
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="password"
                autocomplete=autocomplete
                autocapitalize="off"
                spellcheck="false"
                aria-describedby=described_by
                aria-invalid=move || if invalid() { "true" } else { "false" }
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {error
                .map(|error| {
                    view! {
                        <p id=error_id class="field-error">
                            {move || error.get()}
                        </p>
                    }
                })}
        </div>
    }
}
