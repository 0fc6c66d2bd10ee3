//! "Recevoir les demandes en notification": Web Push on this phone, switched on only by a tap
//! (browsers refuse, or remember as a refusal, a permission asked without one). Permission,
//! then a subscription with the server's key, then `PUT /api/approver/push`; the way back
//! unsubscribes and says so to the server.

use js_sys::{Reflect, Uint8Array};
use leptos::{prelude::*, task::spawn_local};
use vigie_shared::{ApiError, ErrorCode, api::push::PushSubscription as Subscription};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Notification, NotificationPermission, PushManager, PushSubscription,
    PushSubscriptionOptionsInit, ServiceWorkerRegistration,
};

use super::{
    text::{PushSupport, base64url_bytes, is_ios, push_support},
    worker::{Worker, container},
};
use crate::api;

const IOS_HOME_SCREEN: &str = "Sur iPhone (iOS 16.4 ou plus récent) : ajoutez Vigie à l'écran \
d'accueil (Partager → Sur l'écran d'accueil), puis ouvrez-la depuis l'icône.";
const UNSUPPORTED: &str = "Ce navigateur ne peut pas recevoir de notifications : gardez cette page \
ouverte pour voir les demandes arriver.";
const DENIED: &str = "Les notifications sont bloquées pour Vigie dans ce navigateur. Pour les \
autoriser : touchez l'icône à gauche de l'adresse (ou ⋮ → Paramètres → Paramètres des sites), \
puis Notifications → Autoriser, et rechargez la page. Sur iPhone : Réglages → Notifications → Vigie.";
const DISMISSED: &str = "Les notifications n'ont pas été autorisées : touchez le bouton à nouveau \
et choisissez « Autoriser ».";

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Checking,
    Unsupported,
    IosHomeScreen,
    Denied,
    Off,
    On,
}

/// What this browser offers, read without asking anything.
fn support() -> PushSupport {
    let Some(window) = web_sys::window() else {
        return PushSupport::Unsupported;
    };
    let global = |name: &str| {
        Reflect::get(&window, &name.into()).is_ok_and(|v| !v.is_undefined() && !v.is_null())
    };
    let navigator = window.navigator();
    let user_agent = navigator.user_agent().unwrap_or_default();
    let standalone = window
        .match_media("(display-mode: standalone)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches())
        || Reflect::get(&navigator, &"standalone".into()).is_ok_and(|v| v.is_truthy());
    push_support(
        container().is_some(),
        global("PushManager"),
        global("Notification"),
        is_ios(&user_agent, navigator.max_touch_points()),
        standalone,
    )
}

fn push_manager(registration: &ServiceWorkerRegistration) -> Result<PushManager, ApiError> {
    registration.push_manager().map_err(|_| unavailable())
}

fn unavailable() -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        "Le service de notification de ce navigateur ne répond pas : réessayez plus tard.",
    )
}

async fn current_subscription(
    registration: &ServiceWorkerRegistration,
) -> Result<Option<PushSubscription>, ApiError> {
    let promise = push_manager(registration)?
        .get_subscription()
        .map_err(|_| unavailable())?;
    let value = JsFuture::from(promise).await.map_err(|_| unavailable())?;
    Ok((!value.is_null() && !value.is_undefined()).then(|| value.unchecked_into()))
}

/// `PushSubscription.toJSON()`, as the server takes it.
fn as_sent(subscription: &PushSubscription) -> Result<Subscription, ApiError> {
    js_sys::JSON::stringify(subscription)
        .ok()
        .and_then(|json| json.as_string())
        .and_then(|json| serde_json::from_str(&json).ok())
        .ok_or_else(unavailable)
}

/// Permission (from the tap), subscription, then the server. `Ok(None)`: not allowed.
async fn switch_on(
    registration: ServiceWorkerRegistration,
) -> Result<Option<NotificationPermission>, ApiError> {
    let asked = Notification::request_permission().map_err(|_| unavailable())?;
    let answer = JsFuture::from(asked).await.map_err(|_| unavailable())?;
    if answer.as_string().as_deref() != Some("granted") {
        return Ok(Some(Notification::permission()));
    }
    let key = api::push_key().await?;
    let key = base64url_bytes(&key.public_key).ok_or_else(unavailable)?;
    let options = PushSubscriptionOptionsInit::new();
    options.set_user_visible_only(true);
    options.set_application_server_key(&Uint8Array::from(key.as_slice()));
    let manager = push_manager(&registration)?;
    let subscribing = manager
        .subscribe_with_options(&options)
        .map_err(|_| unavailable())?;
    let subscription: PushSubscription = JsFuture::from(subscribing)
        .await
        .map_err(|_| unavailable())?
        .unchecked_into();
    api::approver_push_subscribe(&as_sent(&subscription)?).await?;
    Ok(None)
}

async fn switch_off(registration: ServiceWorkerRegistration) -> Result<(), ApiError> {
    if let Some(subscription) = current_subscription(&registration).await? {
        let leaving = subscription.unsubscribe().map_err(|_| unavailable())?;
        JsFuture::from(leaving).await.map_err(|_| unavailable())?;
    }
    api::approver_push_unsubscribe().await
}

/// Where things stand, on arrival: a subscription the server lost is sent again.
async fn find_state(registration: ServiceWorkerRegistration) -> State {
    match Notification::permission() {
        NotificationPermission::Denied => return State::Denied,
        NotificationPermission::Granted => {}
        _ => return State::Off,
    }
    let Ok(Some(subscription)) = current_subscription(&registration).await else {
        return State::Off;
    };
    let known = api::approver_push_status()
        .await
        .is_ok_and(|status| status.subscribed);
    if known {
        return State::On;
    }
    match as_sent(&subscription) {
        Ok(sent) if api::approver_push_subscribe(&sent).await.is_ok() => State::On,
        _ => State::Off,
    }
}

#[component]
pub fn PushCard(worker: Worker) -> impl IntoView {
    let state = RwSignal::new(match support() {
        PushSupport::Available => State::Checking,
        PushSupport::IosHomeScreenFirst => State::IosHomeScreen,
        PushSupport::Unsupported => State::Unsupported,
    });
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);

    // Once the worker is registered (or known to be missing), read where things stand.
    Effect::new(move |_| {
        if state.get_untracked() != State::Checking {
            return;
        }
        if worker.unavailable.get() {
            state.set(State::Unsupported);
        } else if let Some(registration) = worker.registration.get() {
            spawn_local(async move {
                let found = find_state(registration).await;
                state.try_set(found);
            });
        }
    });

    let registration = move || worker.registration.get_untracked();
    let on_enable = move |_| {
        let Some(registration) = registration() else {
            return;
        };
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            match switch_on(registration).await {
                Ok(None) => {
                    state.try_set(State::On);
                }
                Ok(Some(NotificationPermission::Denied)) => {
                    state.try_set(State::Denied);
                }
                Ok(Some(_)) => {
                    message.try_set(Some(DISMISSED.to_owned()));
                }
                Err(error) => {
                    message.try_set(Some(error.message));
                }
            }
            busy.try_set(false);
        });
    };
    let on_disable = move |_| {
        let Some(registration) = registration() else {
            return;
        };
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            match switch_off(registration).await {
                Ok(()) => {
                    state.try_set(State::Off);
                }
                Err(error) => {
                    message.try_set(Some(error.message));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <section class="card push-card" aria-labelledby="notifications" data-testid="push-card">
            <h2 id="notifications">"Recevoir les demandes en notification"</h2>
            {move || match state.get() {
                State::Checking => view! { <p class="muted">"Vérification…"</p> }.into_any(),
                State::Unsupported => {
                    view! { <p data-testid="push-unsupported">{UNSUPPORTED}</p> }.into_any()
                }
                State::IosHomeScreen => {
                    view! { <p data-testid="push-ios">{IOS_HOME_SCREEN}</p> }.into_any()
                }
                State::Denied => view! { <p data-testid="push-denied">{DENIED}</p> }.into_any(),
                State::Off => {
                    view! {
                        <p>
                            "Une notification vous prévient quand une demande attend, même écran \
                             éteint. Elle ne montre ni nom, ni lieu, ni code : la validation se fait \
                             toujours ici."
                        </p>
                        <button
                            type="button"
                            class="button button-wide"
                            data-testid="push-enable"
                            disabled=move || busy.get()
                            on:click=on_enable
                        >
                            "Activer les notifications"
                        </button>
                    }
                        .into_any()
                }
                State::On => {
                    view! {
                        <p class="push-on" data-testid="push-on">
                            "Notifications activées sur ce téléphone."
                        </p>
                        <button
                            type="button"
                            class="button button-quiet"
                            data-testid="push-disable"
                            disabled=move || busy.get()
                            on:click=on_disable
                        >
                            "Désactiver les notifications"
                        </button>
                    }
                        .into_any()
                }
            }}
            <p role="status" class="push-message">
                {move || message.get()}
            </p>
        </section>
    }
}
