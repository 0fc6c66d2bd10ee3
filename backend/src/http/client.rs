//! The client's address. Vigie has no TLS of its own and usually sits behind a reverse proxy:
//! the socket's peer is then the proxy. The address a request comes from is read from
//! header the proxies write (`forwarded_header`: `X-Forwarded-For` or `Forwarded`, RFC 7239)
//! only when the peer is one of the `trusted_proxies`, walking the hops from the nearest: the
//! first hop that is not a trusted proxy is the client. A header from any other peer is ignored
//! (anyone can write one), and so is the other header even from a proxy: it passes a header it
//! does not write through untouched, as the client wrote it.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use ipnet::IpNet;

use crate::{config::ForwardedHeader, state::AppState};

/// Where a request comes from, as far as the server can trust it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    pub fn resolve(
        peer: Option<IpAddr>,
        headers: &HeaderMap,
        trusted: &[IpNet],
        header: ForwardedHeader,
    ) -> Self {
        let Some(peer) = peer else {
            return Self(None);
        };
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        if !is_trusted(&peer) {
            return Self(Some(peer));
        }
        // Hops as the proxies appended them, nearest last.
        let hops = forwarded_for(headers, header);
        let client = hops
            .iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .or(hops.first())
            .copied()
            .unwrap_or(peer);
        Self(Some(client))
    }

    /// The address as shown to people ("Mes sessions", the phone, mails).
    pub fn shown(&self) -> Option<String> {
        self.0.map(|ip| ip.to_canonical().to_string())
    }

    /// The address limits count under: an IPv4 address, or an IPv6 client's /64 network (one
    /// subscriber line holds a whole /64).
    pub fn counted(&self) -> Option<String> {
        self.0.map(|ip| match ip.to_canonical() {
            IpAddr::V6(v6) => IpNet::new(IpAddr::V6(v6), 64)
                .map(|n| n.trunc().to_string())
                .unwrap_or_else(|_| v6.to_string()),
            v4 => v4.to_string(),
        })
    }
}

/// Every `for=` of `Forwarded`, or every address of `X-Forwarded-For` (whichever the proxies
/// write; never the other), in order. A hop that is not an address (`unknown`, an obfuscated
/// name) stops the list there: nothing before it can be told apart.
fn forwarded_for(headers: &HeaderMap, header: ForwardedHeader) -> Vec<IpAddr> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let raw: Vec<String> = match header {
        ForwardedHeader::XForwardedFor => values("x-forwarded-for"),
        ForwardedHeader::Forwarded => values("forwarded")
            .into_iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| v.trim().trim_matches('"').to_owned())
                })
            })
            .collect(),
    };
    let mut hops = Vec::new();
    for hop in raw.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => hops.push(ip),
            None => break,
        }
    }
    hops.reverse();
    hops
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`, `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts, state))
    }
}

impl ClientAddress {
    pub fn of(parts: &Parts, state: &AppState) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Self::resolve(
            peer,
            &parts.headers,
            &state.settings.trusted_proxies,
            state.settings.forwarded_header,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn headers_count_only_from_a_trusted_peer() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let h = headers(&[("x-forwarded-for", "203.0.113.7")]);
        // From the proxy: the client it names.
        assert_eq!(
            ClientAddress::resolve(Some(ip("10.1.2.3")), &h, &trusted, XFF).0,
            Some(ip("203.0.113.7"))
        );
        // From anyone else: the peer itself, whatever it claims.
        assert_eq!(
            ClientAddress::resolve(Some(ip("198.51.100.9")), &h, &trusted, XFF).0,
            Some(ip("198.51.100.9"))
        );
        // No proxy trusted (the default): headers never count.
        assert_eq!(
            ClientAddress::resolve(Some(ip("10.1.2.3")), &h, &[], XFF).0,
            Some(ip("10.1.2.3"))
        );
    }

    #[test]
    fn the_first_untrusted_hop_from_the_nearest_is_the_client() {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().expect("net"),
            "192.168.0.0/16".parse().expect("net"),
        ];
        // A forged first entry is left of the real client: never reached.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7, 192.168.1.1")]);
        assert_eq!(
            ClientAddress::resolve(Some(ip("10.0.0.1")), &h, &trusted, XFF).0,
            Some(ip("203.0.113.7"))
        );
        let h = headers(&[(
            "forwarded",
            "for=\"[2001:db8:cafe::17]:4711\";proto=https, for=192.168.1.1",
        )]);
        assert_eq!(
            ClientAddress::resolve(
                Some(ip("10.0.0.1")),
                &h,
                &trusted,
                ForwardedHeader::Forwarded
            )
            .0,
            Some(ip("2001:db8:cafe::17"))
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a = ClientAddress(Some(ip("2001:db8:1:2:aaaa::1")));
        let b = ClientAddress(Some(ip("2001:db8:1:2:bbbb::9")));
        let c = ClientAddress(Some(ip("2001:db8:1:3::1")));
        assert_eq!(a.counted(), b.counted());
        assert_ne!(a.counted(), c.counted());
        assert_eq!(a.counted().as_deref(), Some("2001:db8:1:2::/64"));
        assert_eq!(a.shown().as_deref(), Some("2001:db8:1:2:aaaa::1"));
        // An IPv4 client through an IPv6 socket is shown and counted as IPv4.
        let mapped = ClientAddress(Some(ip("::ffff:203.0.113.7")));
        assert_eq!(mapped.counted().as_deref(), Some("203.0.113.7"));
    }
}
