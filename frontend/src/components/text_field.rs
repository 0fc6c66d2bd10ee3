//! A labelled one-line text field, with its hint read out by screen readers.

use leptos::prelude::*;

#[component]
pub fn TextField(
    #[prop(into)] id: String,
    label: &'static str,
    value: RwSignal<String>,
    /// Shown under the label, and tied to the field (`aria-describedby`).
    #[prop(optional)]
    hint: Option<&'static str>,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(default = 100)] maxlength: u32,
    /// A `<datalist>` of suggestions.
    #[prop(optional, into)]
    list: Option<String>,
) -> impl IntoView {
    let hint_id = hint.map(|_| format!("{id}-aide"));
    let label_for = id.clone();
    view! {
        <div class="field">
            <label for=label_for>{label}</label>
            {hint.map(|hint| view! { <p id=hint_id.clone() class="hint">{hint}</p> })}
            <input
                id=id
                type="text"
                maxlength=maxlength
                autocomplete=autocomplete
                aria-describedby=hint_id.clone()
                list=list
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}
