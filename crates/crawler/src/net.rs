//! Which addresses the crawler may reach.
//!
//! A portal's list can point anywhere, and a redirect can too. Without a
//! guard, a crafted list entry could make govwire fetch from the operator's
//! own network (a metadata service, an admin page). So every request and
//! every redirect hop is checked: its host must resolve to public addresses
//! only, unless its `host:port` is allowed explicitly (the profile's
//! `allow_private`, or the host and port of the operator's base URL
//! override, which is how the fixture portal on 127.0.0.1 is reached).
//!
//! Two layers enforce this. [`AddressGuard::check`] runs before each request
//! and handles IP literals (which the HTTP client connects to without
//! resolving) and names allowed on another port. [`GuardedResolver`] is the
//! HTTP client's resolver: it drops non-public addresses of names that are not
//! allowed at connect time, so a name cannot pass the check and then resolve
//! elsewhere.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::error::FetchError;

/// The hosts and ports allowed to be non-public, and the check of a URL.
#[derive(Debug, Clone, Default)]
pub(crate) struct AddressGuard {
    /// `(host, port)` pairs allowed whatever they resolve to; host lowercase
    /// as the URL parser writes it (`127.0.0.1`, `[::1]`, `localhost`).
    allowed: HashSet<(String, u16)>,
    /// Host names among `allowed`, shared with the resolver.
    allowed_names: Arc<HashSet<String>>,
}

impl AddressGuard {
    /// Builds the guard from `host:port` entries.
    pub(crate) fn new<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut allowed = HashSet::new();
        let mut names = HashSet::new();
        for entry in entries {
            let (host, port) = parse_authority(entry)?;
            if !host.starts_with('[') && host.parse::<IpAddr>().is_err() {
                names.insert(host.clone());
            }
            allowed.insert((host, port));
        }
        Ok(Self {
            allowed,
            allowed_names: Arc::new(names),
        })
    }

    /// Adds the host and port of `url` to the allowed pairs.
    pub(crate) fn allow_url(&mut self, url: &Url) {
        if let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) {
            let host = host.to_ascii_lowercase();
            if let Some(Host::Domain(_)) = url.host() {
                Arc::make_mut(&mut self.allowed_names).insert(host.clone());
            }
            self.allowed.insert((host, port));
        }
    }

    /// The resolver the HTTP client must use with this guard.
    pub(crate) fn resolver(&self) -> GuardedResolver {
        GuardedResolver {
            allowed_names: Arc::clone(&self.allowed_names),
        }
    }

    /// Checks that `url` may be fetched: http or https, and a host that is
    /// public or allowed.
    pub(crate) async fn check(&self, url: &Url) -> Result<(), FetchError> {
        let refuse = |reason: String| FetchError::Refused {
            url: url.to_string(),
            reason,
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse(format!(
                "scheme `{}` is not http or https",
                url.scheme()
            )));
        }
        let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
            return Err(refuse("the URL has no host".into()));
        };
        let host_str = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if self.allowed.contains(&(host_str.clone(), port)) {
            return Ok(());
        }
        match host {
            Host::Ipv4(ip) if !is_public(IpAddr::V4(ip)) => {
                Err(refuse(format!("{ip} is not a public address")))
            }
            Host::Ipv6(ip) if !is_public(IpAddr::V6(ip)) => {
                Err(refuse(format!("{ip} is not a public address")))
            }
            Host::Ipv4(_) | Host::Ipv6(_) => Ok(()),
            Host::Domain(name) => {
                if !self.allowed_names.contains(&host_str) {
                    // The resolver filters this name's addresses at connect time.
                    return Ok(());
                }
                // The name is allowed on another port only: the resolver lets
                // its private addresses through, so check them here.
                let addrs = tokio::net::lookup_host((name, port))
                    .await
                    .map_err(|e| refuse(format!("{name} could not be resolved: {e}")))?;
                for addr in addrs {
                    if !is_public(addr.ip()) {
                        return Err(refuse(format!(
                            "{name} resolves to {} which is not public, and only other ports of it are allowed",
                            addr.ip()
                        )));
                    }
                }
                Ok(())
            }
        }
    }
}

/// Splits `host:port` (`127.0.0.1:8080`, `[::1]:8080`, `portal.local:80`)
/// into the host as a URL writes it and the port.
fn parse_authority(entry: &str) -> Result<(String, u16), String> {
    let url = Url::parse(&format!("http://{}/", entry.trim()))
        .map_err(|e| format!("allow_private entry `{entry}` is not host:port: {e}"))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("allow_private entry `{entry}` has no host"))?
        .to_ascii_lowercase();
    // The URL parser drops an explicit :80, so an entry without a port is the
    // only case where `port()` tells nothing we can trust.
    let has_port = entry
        .trim()
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !has_port {
        return Err(format!(
            "allow_private entry `{entry}` must name a port (host:port)"
        ));
    }
    let port = url.port_or_known_default().unwrap_or(80);
    Ok((host, port))
}

/// The HTTP client's resolver: system resolution, then every non-public
/// address dropped unless the name is allowed.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    /// Names whose private addresses are allowed (on the ports the guard
    /// checks).
    allowed_names: Arc<HashSet<String>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = Arc::clone(&self.allowed_names);
        Box::pin(async move {
            let host = name.as_str().to_ascii_lowercase();
            let lookup = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(Iterator::collect::<Vec<SocketAddr>>);
            let resolved = match lookup {
                Ok(addrs) => addrs,
                Err(source) => {
                    return Err(Box::new(NameNotResolved {
                        host,
                        cause: source.to_string(),
                    })
                        as Box<dyn std::error::Error + Send + Sync>)
                }
            };
            let keep_private = allowed.contains(&host);
            let (addrs, dropped): (Vec<SocketAddr>, Vec<SocketAddr>) = resolved
                .into_iter()
                .partition(|a| keep_private || is_public(a.ip()));
            if addrs.is_empty() && dropped.is_empty() {
                return Err(Box::new(NameNotResolved {
                    host,
                    cause: "no address".to_owned(),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            if addrs.is_empty() {
                return Err(Box::new(NoPublicAddress {
                    host,
                    dropped: dropped.iter().map(SocketAddr::ip).collect(),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// A host name the resolver could not resolve (no such name, no DNS
/// server answering, no address). The fetcher finds it in the cause chain
/// of a failed request and reports a DNS failure.
#[derive(Debug)]
pub(crate) struct NameNotResolved {
    /// The name looked up.
    host: String,
    /// What the system resolver said.
    cause: String,
}

impl std::fmt::Display for NameNotResolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} could not be resolved: {}", self.host, self.cause)
    }
}

impl std::error::Error for NameNotResolved {}

#[cfg(test)]
impl NameNotResolved {
    /// The resolver's failure for `host`, as tests build it.
    pub(crate) fn for_test(host: &str, cause: &str) -> Self {
        Self {
            host: host.to_owned(),
            cause: cause.to_owned(),
        }
    }
}

/// The resolver's refusal: a name that resolves to non-public addresses
/// only. The fetcher finds it in the cause chain of a failed request and
/// reports a refusal, not a network failure.
#[derive(Debug)]
pub(crate) struct NoPublicAddress {
    /// The name resolved.
    host: String,
    /// The non-public addresses it resolved to.
    dropped: Vec<IpAddr>,
}

impl std::fmt::Display for NoPublicAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let addrs: Vec<String> = self.dropped.iter().map(IpAddr::to_string).collect();
        write!(
            f,
            "{} resolves only to addresses that are not public ({})",
            self.host,
            addrs.join(", ")
        )
    }
}

impl std::error::Error for NoPublicAddress {}

/// The resolver's refusal somewhere in `error`'s cause chain, if there is
/// one.
pub(crate) fn refusal_in<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a NoPublicAddress> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(refusal) = e.downcast_ref::<NoPublicAddress>() {
            return Some(refusal);
        }
        current = e.source();
    }
    None
}

/// Whether `ip` is a public unicast address: not loopback, private,
/// link-local, CGNAT, unique-local, multicast, documentation or reserved.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking 198.18.0.0/15
        || a >= 240) // reserved 240.0.0.0/4
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let seg = ip.segments();
    // NAT64 64:ff9b::/96 embeds an IPv4 address.
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
        let o = ip.octets();
        return is_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    // 6to4 2002::/16 embeds an IPv4 address.
    if seg[0] == 0x2002 {
        let o = ip.octets();
        return is_public_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (seg[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || seg[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible, deprecated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:0101::1",
        ] {
            let parsed: IpAddr = ip.parse().expect("test address parses");
            assert!(!is_public(parsed), "{ip} must not count as public");
        }
        for ip in ["101.226.4.6", "8.8.8.8", "2400:3200::1", "::ffff:8.8.8.8"] {
            let parsed: IpAddr = ip.parse().expect("test address parses");
            assert!(is_public(parsed), "{ip} must count as public");
        }
    }

    #[tokio::test]
    async fn loopback_is_refused_unless_its_host_and_port_are_allowed() {
        let guard = AddressGuard::new(["127.0.0.1:8080"]).expect("valid entry");
        let allowed = Url::parse("http://127.0.0.1:8080/a").expect("url");
        let other_port = Url::parse("http://127.0.0.1:8081/a").expect("url");
        let metadata = Url::parse("http://169.254.169.254/latest").expect("url");
        let ftp = Url::parse("ftp://example.org/").expect("url");
        assert!(guard.check(&allowed).await.is_ok());
        assert!(matches!(
            guard.check(&other_port).await,
            Err(FetchError::Refused { .. })
        ));
        assert!(matches!(
            guard.check(&metadata).await,
            Err(FetchError::Refused { .. })
        ));
        assert!(matches!(
            guard.check(&ftp).await,
            Err(FetchError::Refused { .. })
        ));
    }

    #[tokio::test]
    async fn an_allowed_name_on_another_port_must_still_resolve_publicly() {
        let guard = AddressGuard::new(["localhost:8080"]).expect("valid entry");
        let other_port = Url::parse("http://localhost:9999/").expect("url");
        assert!(matches!(
            guard.check(&other_port).await,
            Err(FetchError::Refused { .. })
        ));
    }

    /// Checks `url` with `guard`: the reason it is refused, or `None`.
    async fn refusal(guard: &AddressGuard, url: &str) -> Option<String> {
        let parsed = Url::parse(url).unwrap_or_else(|e| panic!("{url} parses: {e}"));
        match guard.check(&parsed).await {
            Ok(()) => None,
            Err(FetchError::Refused { reason, .. }) => Some(reason),
            Err(other) => panic!("{url}: expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn loopback_private_and_metadata_addresses_are_refused_in_every_spelling() {
        // IP literals only: the check decides them without resolving or
        // connecting, so this test sends nothing anywhere.
        let guard = AddressGuard::new(std::iter::empty()).expect("no entries");
        for url in [
            "http://127.0.0.1/",
            "HTTP://127.0.0.1:8480/zhengwu/1.html",
            "http://2130706433/",   // decimal
            "http://017700000001/", // octal
            "http://0177.0.0.1/",   // octal, dotted
            "http://0x7f000001/",   // hexadecimal
            "http://0x7f.0.0.1/",   // hexadecimal, dotted
            "http://127.1/",        // short form
            "http://127.000.000.001/",
            "http://example.org@127.0.0.1/", // user info before the real host
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/", // IPv4-mapped IPv6
            "http://[::ffff:7f00:1]/",
            "http://[0:0:0:0:0:ffff:7f00:1]/",
            "http://[64:ff9b::7f00:1]/", // NAT64
            "http://[2002:7f00:1::]/",   // 6to4
            "http://0/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/", // 169.254.169.254, decimal
            "http://0xa9fea9fe/",
            "http://0251.0376.0251.0376/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[fd00:ec2::254]/", // a cloud metadata service on IPv6
            "http://100.100.100.200/", // a cloud metadata service in CGNAT space
            "http://[fe80::1]/",
            "http://10.0.0.1/",
            "http://0xa.1/",
            "http://172.16.0.1/",
            "http://192.168.0.1/",
            "http://3232235521/", // 192.168.0.1, decimal
            "https://[fc00::1]:8443/",
        ] {
            let reason = refusal(&guard, url)
                .await
                .unwrap_or_else(|| panic!("{url} must be refused"));
            assert!(reason.contains("not a public address"), "{url}: {reason}");
        }
        for url in [
            "file:///etc/passwd",
            "ftp://127.0.0.1/",
            "gopher://127.0.0.1:70/",
            "data:text/html,<p>x</p>",
        ] {
            let reason = refusal(&guard, url)
                .await
                .unwrap_or_else(|| panic!("{url} must be refused"));
            assert!(reason.contains("not http or https"), "{url}: {reason}");
        }
        for url in [
            "http://101.226.4.6/",
            "https://1711408134/", // 102.1.1.6, decimal: public however spelled
            "http://[2400:3200::1]/",
            "http://[::ffff:8.8.8.8]/",
        ] {
            assert_eq!(refusal(&guard, url).await, None, "{url} is public");
        }
    }

    #[tokio::test]
    async fn an_allowed_url_opens_its_own_host_and_port_and_nothing_else() {
        let mut guard = AddressGuard::new(std::iter::empty()).expect("no entries");
        guard.allow_url(&Url::parse("http://127.0.0.1:8480/zhengwu/1.html").expect("url"));
        for allowed in [
            "http://127.0.0.1:8480/files/a.pdf",
            "http://2130706433:8480/other.html", // the same address, spelled otherwise
        ] {
            assert_eq!(refusal(&guard, allowed).await, None, "{allowed}");
        }
        for refused in [
            "http://127.0.0.1:8481/",
            "http://127.0.0.2:8480/",
            "http://[::1]:8480/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1:8480/",
        ] {
            assert!(refusal(&guard, refused).await.is_some(), "{refused}");
        }
    }

    #[test]
    fn allow_private_entries_must_name_a_port() {
        assert!(AddressGuard::new(["127.0.0.1"]).is_err());
        assert!(AddressGuard::new(["[::1]:80"]).is_ok());
    }

    #[tokio::test]
    async fn the_resolver_drops_private_addresses_of_names_not_allowed() {
        let guard = AddressGuard::new(std::iter::empty()).expect("no entries");
        let name: Name = "localhost".parse().expect("name");
        let Err(error) = guard.resolver().resolve(name).await else {
            panic!("localhost must not resolve for the crawler");
        };
        let refusal = refusal_in(error.as_ref()).expect("a refusal by the address rules");
        assert!(refusal.to_string().contains("not public"), "{refusal}");
    }
}
