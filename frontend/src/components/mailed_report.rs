//! The page a mailed "Ce n'est pas moi" link opens (a sign-in, a new device): one tap acts with
//! the link's one-time token — read from the address's fragment, which no server or log sees,
//! then removed from it — and says what happened. Each link gives its words and its call.

use std::future::Future;

use leptos::prelude::*;
use vigie_shared::ErrorCode;

use super::alerts::error_alert;
use crate::{
    api::ApiResult,
    pages::{fragment_value, set_title, take_fragment},
};

/// What one kind of mailed link says.
pub struct ReportWords {
    pub title: &'static str,
    pub lead: &'static str,
    pub button: &'static str,
    pub button_test_id: &'static str,
    /// Said once the report is taken.
    pub done: &'static str,
    /// Said when the server does not know the token (used, expired or forged).
    pub spent: &'static str,
    /// Where to look next once signed in.
    pub afterwards: &'static str,
}

#[component]
pub fn MailedReport<F, Fut>(words: ReportWords, send: F) -> impl IntoView
where
    F: Fn(String) -> Fut + Copy + 'static,
    Fut: Future<Output = ApiResult<()>> + 'static,
{
    set_title(words.title);
    // Read once, then gone from the address bar.
    let token = StoredValue::new(fragment_value(&take_fragment(), "jeton"));
    let has_token = token.with_value(Option::is_some);
    let spent = words.spent;

    let report = Action::new_local(move |_: &()| {
        let token = token.get_value().unwrap_or_default();
        async move {
            send(token).await.map_err(|error| {
                if error.code == ErrorCode::NotFound {
                    spent.to_owned()
                } else {
                    error.message
                }
            })
        }
    });
    let pending = report.pending();
    let outcome = move || report.value().get().filter(|_| !pending.get());
    let done = move || matches!(outcome(), Some(Ok(())));
    let ReportWords {
        lead,
        button,
        button_test_id,
        done: done_text,
        afterwards,
        ..
    } = words;

    view! {
        <h1>"Ce n'est pas moi"</h1>
        <p class="lead">{lead}</p>
        {if has_token {
            view! {
                <div class="card">
                    <Show when=move || !done()>
                        <button
                            type="button"
                            class="button button-danger"
                            data-testid=button_test_id
                            disabled=move || pending.get()
                            on:click=move |_| {
                                report.dispatch(());
                            }
                        >
                            {move || if pending.get() { "Envoi en cours…" } else { button }}
                        </button>
                    </Show>
                    <div role="status">
                        {move || {
                            done()
                                .then(|| {
                                    view! {
                                        <p class="alert alert-success" data-testid="report-done">
                                            {done_text}
                                        </p>
                                    }
                                })
                        }}
                    </div>
                    {error_alert(move || outcome().and_then(Result::err), "report-error")}
                </div>
                <p class="muted">{afterwards}</p>
            }
                .into_any()
        } else {
            view! {
                <p role="alert" class="alert alert-error" data-testid="report-error">
                    "Ce lien est incomplet. Ouvrez le lien de l'e-mail tel quel, sans le modifier."
                </p>
            }
                .into_any()
        }}
    }
}
