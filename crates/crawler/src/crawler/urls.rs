//! URLs of the portal: profile references resolved against the base URL,
//! list entries kept to the portal's site, links of the real site moved onto
//! an override base URL, and the path robots.txt rules match.

use url::Url;

use super::Crawler;
use crate::error::CrawlError;
use crate::sink::PageSink;

impl<S: PageSink> Crawler<S> {
    /// A URL of the portal from the profile (endpoint, list URL), resolved
    /// against the effective base URL.
    pub(super) fn portal_url(&self, reference: &str) -> Result<Url, CrawlError> {
        self.base_url
            .join(reference)
            .map(|u| self.rebase(u))
            .map_err(|e| CrawlError::Profile {
                portal: self.profile.id.to_string(),
                message: format!("`{reference}` does not resolve against the base URL: {e}"),
            })
    }

    /// The absolute URL of a list entry, if it is on the portal's host.
    pub(super) fn item_url(&self, page_url: &Url, href: &str) -> Option<Url> {
        let url = self.rebase(page_url.join(href).ok()?);
        (matches!(url.scheme(), "http" | "https") && same_site(&url, &self.base_url)).then_some(url)
    }

    /// Moves a URL on the profile's own host onto the override base URL, so
    /// absolute links of the real site lead to the portal actually polled.
    pub(super) fn rebase(&self, mut url: Url) -> Url {
        if self.base_url == self.profile_base || !same_site(&url, &self.profile_base) {
            return url;
        }
        let original = url.clone();
        let moved = url.set_scheme(self.base_url.scheme()).is_ok()
            && url.set_host(self.base_url.host_str()).is_ok()
            && url.set_port(self.base_url.port()).is_ok();
        if moved {
            url
        } else {
            original
        }
    }
}

/// Whether two URLs are on one site: the same host, and the same port or
/// both on their scheme's default port.
fn same_site(a: &Url, b: &Url) -> bool {
    let host = |u: &Url| u.host_str().map(str::to_ascii_lowercase);
    host(a).is_some()
        && host(a) == host(b)
        && (a.port_or_known_default() == b.port_or_known_default()
            || (a.port().is_none() && b.port().is_none()))
}

/// The path and query of a URL, as robots.txt rules match them.
pub(super) fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_on_one_host_and_default_ports_are_one_site() {
        let u = |s: &str| Url::parse(s).expect("url");
        assert!(same_site(
            &u("https://www.shpt.gov.cn/a"),
            &u("http://www.shpt.gov.cn/b")
        ));
        assert!(same_site(
            &u("http://127.0.0.1:8080/a"),
            &u("http://127.0.0.1:8080/")
        ));
        assert!(!same_site(
            &u("http://127.0.0.1:8081/a"),
            &u("http://127.0.0.1:8080/")
        ));
        assert!(!same_site(
            &u("https://www.gov.cn/a"),
            &u("https://www.shpt.gov.cn/")
        ));
    }
}
