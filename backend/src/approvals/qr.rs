//! The code as a QR code (SVG), drawn on the server so the SPA stays small.

use crate::http::qr::svg_text;

/// What the phone's camera reads: the approver app's address with the request and its code
/// in the fragment (never sent to the server in a URL), which fills the code in.
pub fn svg(public_url: &url::Url, approval_id: uuid::Uuid, code: &str) -> String {
    svg_text(link(public_url, approval_id, code).as_str())
}

pub fn link(public_url: &url::Url, approval_id: uuid::Uuid, code: &str) -> url::Url {
    let mut link = public_url
        .join("/validation")
        .unwrap_or_else(|_| public_url.clone());
    link.set_fragment(Some(&format!("demande={approval_id}&code={code}")));
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_opens_the_approver_app_with_the_code_in_the_fragment() {
        let base = url::Url::parse("https://vigie.example/").expect("url");
        let id = uuid::Uuid::nil();
        let l = link(&base, id, "123456");
        assert_eq!(l.path(), "/validation");
        assert_eq!(l.query(), None, "nothing the server would log");
        assert_eq!(
            l.fragment(),
            Some(format!("demande={id}&code=123456").as_str())
        );
        assert!(svg(&base, id, "123456").contains("<svg"));
    }
}
