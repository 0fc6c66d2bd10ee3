//! An action's outcome under its form: the last attempt's error, announced as it appears.

use leptos::prelude::*;
use vigie_shared::ApiError;

/// An error under a form, announced as it appears.
pub fn error_alert(
    message: impl Fn() -> Option<String> + Send + Sync + 'static,
    testid: &'static str,
) -> impl IntoView {
    move || {
        message().map(|message| {
            view! {
                <p role="alert" class="alert alert-error" data-testid=testid>
                    {message}
                </p>
            }
        })
    }
}

/// The last attempt's error, hidden while a new attempt runs.
pub fn last_error<I, O>(
    action: Action<I, Result<O, ApiError>>,
) -> impl Fn() -> Option<ApiError> + Copy + Send + Sync + 'static
where
    I: Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    let pending = action.pending();
    move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|_| !pending.get())
    }
}
