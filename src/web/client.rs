//! Who is calling and which URL they called: the client's IP address, the host and the scheme
//! of a request. The forwarded headers (`Forwarded`, `X-Forwarded-For`, `X-Forwarded-Host`,
//! `X-Forwarded-Proto`) are read only when the connection comes from a trusted proxy
//! (`PORTCULLIS_TRUSTED_PROXIES`); from anyone else they are ignored, so a client cannot choose
//! the pool domain a request is for, the endpoints discovery announces, or the address its
//! requests are counted against. This is the one place that reads them.

use crate::config::Config;
use actix_web::HttpRequest;
use actix_web::http::header::{HOST, HeaderMap};
use serde::Deserialize;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

/// An IP network in CIDR notation (`10.0.0.0/8`, `fd00::/8`); a bare address is a /32 or /128.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside the network. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`)
    /// matches as the IPv4 address it carries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || format!("{s:?} is not an IP network in CIDR notation (e.g. 10.0.0.0/8 or fd00::/8)");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u8>().map_err(|_| bad())?,
            Some(_) => return Err(bad()),
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl fmt::Debug for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parse a comma-separated list of networks (`PORTCULLIS_TRUSTED_PROXIES`); empty items are skipped.
pub fn parse_cidrs(list: &str) -> Result<Vec<Cidr>, String> {
    list.split(',').filter(|s| !s.trim().is_empty()).map(str::parse).collect()
}

fn trusted(cfg: &Config, ip: IpAddr) -> bool {
    cfg.trusted_proxies.iter().any(|c| c.contains(ip))
}

/// The address of the connection's other end (unspecified when actix does not know it, as in
/// in-process tests).
fn peer(req: &HttpRequest) -> IpAddr {
    req.peer_addr().map(|a| canonical(a.ip())).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Whether the request's forwarded headers are to be believed: the peer is a trusted proxy.
fn from_trusted_proxy(req: &HttpRequest, cfg: &Config) -> bool {
    !cfg.trusted_proxies.is_empty() && trusted(cfg, peer(req))
}

/// Every value of a comma-separated header, over all its lines, in order.
fn list<'a>(headers: &'a HeaderMap, name: &'static str) -> Vec<&'a str> {
    headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The `Forwarded` (RFC 7239) elements, in order, each as its `name=value` pairs (names
/// lower-cased, quotes removed).
fn forwarded(headers: &HeaderMap) -> Vec<Vec<(String, String)>> {
    list(headers, "forwarded")
        .into_iter()
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    Some((k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
                })
                .collect()
        })
        .collect()
}

/// The last value of `name` in the `Forwarded` elements: the one the nearest proxy wrote.
fn forwarded_last(headers: &HeaderMap, name: &str) -> Option<String> {
    forwarded(headers).into_iter().rev().find_map(|e| e.into_iter().find(|(k, _)| k == name).map(|(_, v)| v))
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`, `[2001:db8::1]:443`.
fn parse_node(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    let inner = s.strip_prefix('[')?.split(']').next()?;
    inner.parse::<Ipv6Addr>().ok().map(|ip| canonical(IpAddr::V6(ip)))
}

/// The client's IP address: the peer's, unless the peer is a trusted proxy; then the
/// right-most address of the forwarding chain (`Forwarded: for=`, else `X-Forwarded-For`) that
/// is not itself a trusted proxy. A chain that ends in something that is not an address (an
/// obfuscated `for=_hidden`, `unknown`) stops at the last proxy that wrote it.
pub fn client_ip(req: &HttpRequest, cfg: &Config) -> IpAddr {
    let peer = peer(req);
    if cfg.trusted_proxies.is_empty() || !trusted(cfg, peer) {
        return peer;
    }
    let headers = req.headers();
    let fwd = forwarded(headers);
    let chain: Vec<String> = if fwd.iter().any(|e| e.iter().any(|(k, _)| k == "for")) {
        fwd.into_iter().filter_map(|e| e.into_iter().find(|(k, _)| k == "for").map(|(_, v)| v)).collect()
    } else {
        list(headers, "x-forwarded-for").into_iter().map(str::to_string).collect()
    };
    let mut current = peer;
    for hop in chain.iter().rev() {
        match parse_node(hop) {
            Some(ip) if trusted(cfg, ip) => current = ip,
            Some(ip) => return ip,
            None => return current,
        }
    }
    current
}

/// The host the client asked for (`name[:port]`, as sent): the `Host` header (or the request
/// target's authority), unless the peer is a trusted proxy that forwarded one
/// (`Forwarded: host=`, else `X-Forwarded-Host`).
pub fn host(req: &HttpRequest, cfg: &Config) -> String {
    let headers = req.headers();
    if from_trusted_proxy(req, cfg) {
        let forwarded =
            forwarded_last(headers, "host").or_else(|| list(headers, "x-forwarded-host").last().map(|s| s.to_string()));
        if let Some(h) = forwarded.filter(|h| !h.is_empty()) {
            return h;
        }
    }
    headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default()
}

/// The scheme the client used: `http` or `https` as a trusted proxy forwarded it
/// (`Forwarded: proto=`, else `X-Forwarded-Proto`), otherwise the public URL's.
pub fn scheme(req: &HttpRequest, cfg: &Config) -> &'static str {
    forwarded_proto(req, cfg).unwrap_or(if cfg.is_https() { "https" } else { "http" })
}

/// The scheme a trusted proxy says the client used (`Forwarded: proto=`, else
/// `X-Forwarded-Proto`); `None` when the peer is not a trusted proxy or did not say.
fn forwarded_proto(req: &HttpRequest, cfg: &Config) -> Option<&'static str> {
    if !from_trusted_proxy(req, cfg) {
        return None;
    }
    let headers = req.headers();
    let proto =
        forwarded_last(headers, "proto").or_else(|| list(headers, "x-forwarded-proto").last().map(|s| s.to_string()));
    match proto.map(|p| p.to_ascii_lowercase()).as_deref() {
        Some("https") => Some("https"),
        Some("http") => Some("http"),
        _ => None,
    }
}

/// Whether a trusted proxy relayed this request from a client that used https.
pub fn forwarded_https(req: &HttpRequest, cfg: &Config) -> bool {
    forwarded_proto(req, cfg) == Some("https")
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn cfg(proxies: &str) -> Config {
        Config { trusted_proxies: parse_cidrs(proxies).unwrap(), ..Config::default() }
    }

    fn from(peer: &str) -> TestRequest {
        TestRequest::default().peer_addr(peer.parse().unwrap())
    }

    #[test]
    fn cidrs_match_v4_v6_and_mapped_addresses() {
        let c: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(!c.contains("fd00::1".parse().unwrap()));
        let c: Cidr = "fd00::/8".parse().unwrap();
        assert!(c.contains("fd12::1".parse().unwrap()));
        assert!(!c.contains("fe80::1".parse().unwrap()));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains("203.0.113.9".parse().unwrap()));
        assert!("::/0".parse::<Cidr>().unwrap().contains("2001:db8::1".parse().unwrap()));
        let one: Cidr = "192.0.2.7".parse().unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()) && !one.contains("192.0.2.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "fd00::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/+8", "example.com/8", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert_eq!(parse_cidrs(" 10.0.0.0/8, ::1 ,").unwrap().len(), 2);
        assert!(parse_cidrs("10.0.0.0/8,nope").is_err());
    }

    #[test]
    fn forwarded_headers_are_ignored_unless_the_peer_is_trusted() {
        let req = from("203.0.113.5:4000")
            .insert_header(("host", "id.example"))
            .insert_header(("x-forwarded-for", "198.51.100.1"))
            .insert_header(("x-forwarded-host", "evil.example"))
            .insert_header(("x-forwarded-proto", "https"))
            .insert_header(("forwarded", "for=198.51.100.2;host=evil.example:6666;proto=https"))
            .to_http_request();
        for c in [cfg(""), cfg("10.0.0.0/8")] {
            assert_eq!(client_ip(&req, &c), "203.0.113.5".parse::<IpAddr>().unwrap());
            assert_eq!(host(&req, &c), "id.example");
            assert_eq!(scheme(&req, &c), "http");
            assert!(!forwarded_https(&req, &c));
        }
    }

    #[test]
    fn a_trusted_proxy_is_believed_and_the_right_most_untrusted_hop_is_the_client() {
        let c = cfg("10.0.0.0/8, fd00::/8");
        let req = from("10.0.0.2:4000")
            .insert_header(("host", "internal"))
            .insert_header(("x-forwarded-for", "192.0.2.66, 198.51.100.1, 10.0.0.9"))
            .insert_header(("x-forwarded-host", "acme.auth.example"))
            .insert_header(("x-forwarded-proto", "https"))
            .to_http_request();
        assert_eq!(client_ip(&req, &c), "198.51.100.1".parse::<IpAddr>().unwrap());
        assert_eq!(host(&req, &c), "acme.auth.example");
        assert_eq!(scheme(&req, &c), "https");
        assert!(forwarded_https(&req, &c));

        // Forwarded wins over X-Forwarded-*, IPv6 in brackets with a port.
        let req = from("[fd00::1]:4000")
            .insert_header(("x-forwarded-for", "192.0.2.66"))
            .insert_header(("forwarded", "for=192.0.2.1, for=\"[2001:db8::5]:4711\";host=a.example;proto=https"))
            .to_http_request();
        assert_eq!(client_ip(&req, &c), "2001:db8::5".parse::<IpAddr>().unwrap());
        assert_eq!(host(&req, &c), "a.example");
        assert_eq!(scheme(&req, &c), "https");

        // An obfuscated hop stops the walk at the proxy that wrote it; all-trusted chains end left.
        let req = from("10.0.0.2:1").insert_header(("forwarded", "for=_hidden, for=10.0.0.7")).to_http_request();
        assert_eq!(client_ip(&req, &c), "10.0.0.7".parse::<IpAddr>().unwrap());
        let req = from("10.0.0.2:1").insert_header(("x-forwarded-for", "10.0.0.3")).to_http_request();
        assert_eq!(client_ip(&req, &c), "10.0.0.3".parse::<IpAddr>().unwrap());
        let req = from("10.0.0.2:1").insert_header(("host", "h.example")).to_http_request();
        assert_eq!(client_ip(&req, &c), "10.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(host(&req, &c), "h.example");
        // No proto from the proxy: the public URL's scheme, but not "the client used https".
        let https = Config { public_url: "https://id.example".into(), ..c.clone() };
        assert_eq!(scheme(&req, &https), "https");
        assert!(!forwarded_https(&req, &https));
    }
}
