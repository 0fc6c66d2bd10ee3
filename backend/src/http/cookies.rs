//! Vigie's three cookies (session, activated phone, terminal): HttpOnly, SameSite=Strict,
//! Path=/. Served anywhere but localhost they are also Secure and named `__Host-…`: a browser
//! then takes them only from this exact host over HTTPS, with no Domain, so a sibling
//! subdomain cannot plant one (session fixation); the server then reads the prefixed name only.

use std::borrow::Cow;

use axum::http::{HeaderMap, header};
use cookie::{Cookie, SameSite};

use crate::config::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jar {
    /// A signed-in session (any kind).
    Session,
    /// An activated phone (the approver app).
    Approver,
    /// A terminal (tablet) that asked for push sign-ins.
    Terminal,
}

impl Jar {
    const fn base(self) -> &'static str {
        match self {
            Self::Session => "vigie_session",
            Self::Approver => "vigie_approver",
            Self::Terminal => "vigie_terminal",
        }
    }

    /// The cookie's name under these settings.
    pub fn name(self, settings: &Settings) -> Cow<'static, str> {
        if secure(settings) {
            Cow::Owned(format!("__Host-{}", self.base()))
        } else {
            Cow::Borrowed(self.base())
        }
    }
}

/// Secure cookies everywhere but on a developer's own machine (plain HTTP to localhost).
pub fn secure(settings: &Settings) -> bool {
    settings.public_url.scheme() == "https"
        || !matches!(
            settings.public_url.host_str(),
            Some("localhost" | "127.0.0.1" | "[::1]")
        )
}

/// The `Set-Cookie` value that stores `token` (for `max_age`; none: until the browser closes).
pub fn set(
    settings: &Settings,
    jar: Jar,
    token: &str,
    max_age: Option<cookie::time::Duration>,
) -> String {
    let mut c = Cookie::new(jar.name(settings), token.to_owned());
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_path("/");
    c.set_secure(secure(settings));
    if let Some(age) = max_age {
        c.set_max_age(age);
    }
    c.to_string()
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear(settings: &Settings, jar: Jar) -> String {
    set(settings, jar, "", Some(cookie::time::Duration::ZERO))
}

/// The cookie's value in this request, under its name for these settings only.
pub fn read(headers: &HeaderMap, settings: &Settings, jar: Jar) -> Option<String> {
    let name = jar.name(settings);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> Settings {
        Settings {
            public_url: url::Url::parse(url).expect("url"),
            ..Settings::default()
        }
    }

    #[test]
    fn over_https_the_cookie_is_host_only_and_only_that_name_is_read() {
        let s = settings("https://vigie.example.fr");
        let c = set(&s, Jar::Session, "abc", None);
        assert!(c.starts_with("__Host-vigie_session=abc"), "{c}");
        assert!(c.contains("Secure") && c.contains("Path=/") && c.contains("HttpOnly"));
        assert!(!c.contains("Domain"), "{c}");
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "vigie_session=planted".parse().expect("h"));
        assert_eq!(read(&h, &s, Jar::Session), None);
        h.insert(
            header::COOKIE,
            "vigie_session=planted; __Host-vigie_session=mine"
                .parse()
                .expect("h"),
        );
        assert_eq!(read(&h, &s, Jar::Session).as_deref(), Some("mine"));
        assert!(clear(&s, Jar::Session).contains("Max-Age=0"));
    }

    #[test]
    fn on_localhost_the_plain_name_is_used() {
        let s = settings("http://localhost:8080");
        let c = set(
            &s,
            Jar::Terminal,
            "t",
            Some(cookie::time::Duration::days(400)),
        );
        assert!(c.starts_with("vigie_terminal=t"), "{c}");
        assert!(!c.contains("Secure"));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "vigie_terminal=t".parse().expect("h"));
        assert_eq!(read(&h, &s, Jar::Terminal).as_deref(), Some("t"));
    }
}
