//! robots.txt: the rules a portal publishes for crawlers.
//!
//! A simple reading of RFC 9309: the groups naming our product token (or,
//! when none does, the `*` groups) apply; the longest matching `Allow` or
//! `Disallow` pattern decides, `Allow` winning a tie; `*` matches any run of
//! characters and a trailing `$` anchors the end. `Crawl-delay`, outside the
//! RFC but widely used, is read from the same groups.

use std::time::Duration;

/// Longest `Crawl-delay` honoured. A portal asking for more would make a
/// single poll last hours; a minute between requests is already very gentle.
pub(crate) const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// What a portal's robots.txt lets the crawler do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RobotsPolicy {
    /// No robots.txt (a 4xx answer), or one without rules for us.
    AllowAll,
    /// The robots.txt could not be read (the portal is unreachable, or it
    /// answered 5xx or 429): RFC 9309 says to assume everything is
    /// disallowed until it can be. The text says why, in words.
    Unreadable(String),
    /// The rules that apply to us.
    Rules {
        /// Allow and Disallow lines of the applicable groups.
        rules: Vec<Rule>,
        /// The largest `Crawl-delay` of the applicable groups.
        crawl_delay: Option<Duration>,
    },
}

/// One `Allow` or `Disallow` line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    /// `Allow` (true) or `Disallow` (false).
    allow: bool,
    /// The path pattern, non-ASCII bytes percent-encoded as URLs carry them.
    pattern: String,
}

#[derive(Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
    crawl_delay: Option<Duration>,
}

impl RobotsPolicy {
    /// Reads a robots.txt body for the crawler whose product token is
    /// `token` (`govwire`).
    pub(crate) fn parse(text: &str, token: &str) -> RobotsPolicy {
        let token = token.to_ascii_lowercase();
        let mut groups: Vec<Group> = Vec::new();
        let mut in_agent_lines = false;
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !in_agent_lines {
                        groups.push(Group::default());
                        in_agent_lines = true;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.agents.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agent_lines = false;
                    if let Some(group) = groups.last_mut() {
                        if !value.is_empty() {
                            group.rules.push(Rule {
                                allow: key == "allow",
                                pattern: encode_non_ascii(value),
                            });
                        }
                    }
                }
                "crawl-delay" => {
                    in_agent_lines = false;
                    if let Some(group) = groups.last_mut() {
                        if let Ok(secs) = value.parse::<f64>() {
                            if secs.is_finite() && secs >= 0.0 {
                                let delay = Duration::from_secs_f64(
                                    secs.min(MAX_CRAWL_DELAY.as_secs_f64()),
                                );
                                group.crawl_delay = group.crawl_delay.max(Some(delay));
                            }
                        }
                    }
                }
                // Sitemap and unknown keys neither end nor start a group.
                _ => {}
            }
        }

        let names_us = |g: &Group| {
            g.agents.iter().any(|a| {
                let product = a.split(['/', ' ']).next().unwrap_or_default();
                !product.is_empty() && product == token
            })
        };
        let mut chosen: Vec<&Group> = groups.iter().filter(|g| names_us(g)).collect();
        if chosen.is_empty() {
            chosen = groups
                .iter()
                .filter(|g| g.agents.iter().any(|a| a == "*"))
                .collect();
        }
        if chosen.is_empty() {
            return RobotsPolicy::AllowAll;
        }
        let rules = chosen
            .iter()
            .flat_map(|g| g.rules.iter().cloned())
            .collect();
        let crawl_delay = chosen.iter().filter_map(|g| g.crawl_delay).max();
        RobotsPolicy::Rules { rules, crawl_delay }
    }

    /// Whether the path (with its query) may be fetched.
    pub(crate) fn allows(&self, path_and_query: &str) -> bool {
        match self {
            RobotsPolicy::AllowAll => true,
            RobotsPolicy::Unreadable(_) => false,
            RobotsPolicy::Rules { rules, .. } => {
                if path_and_query == "/robots.txt" {
                    return true;
                }
                let mut best: Option<(usize, bool)> = None;
                for rule in rules {
                    if pattern_matches(&rule.pattern, path_and_query) {
                        let len = rule.pattern.len();
                        best = match best {
                            Some((l, allow)) if l > len || (l == len && allow) => Some((l, allow)),
                            _ => Some((len, rule.allow)),
                        };
                    }
                }
                best.is_none_or(|(_, allow)| allow)
            }
        }
    }

    /// The delay the portal asks for between requests, if any.
    /// Why the robots.txt could not be read, when it could not: nothing is
    /// fetched then, and messages say this, not that robots.txt disallows.
    pub(crate) fn unreadable(&self) -> Option<&str> {
        match self {
            RobotsPolicy::Unreadable(reason) => Some(reason),
            _ => None,
        }
    }

    pub(crate) fn crawl_delay(&self) -> Option<Duration> {
        match self {
            RobotsPolicy::Rules { crawl_delay, .. } => *crawl_delay,
            _ => None,
        }
    }
}

/// Percent-encodes bytes outside ASCII, as they appear in a URL path.
fn encode_non_ascii(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for ch in pattern.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let mut buf = [0u8; 4];
            for byte in ch.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

/// Whether `pattern` matches the start of `path` (all of it with a trailing
/// `$`), `*` standing for any run of characters.
fn pattern_matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p.as_bytes(), true),
        None => (pattern.as_bytes(), false),
    };
    let text = path.as_bytes();
    // Classic wildcard matching with backtracking to the last star; an
    // unanchored pattern ends in an implicit star.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p == pattern.len() {
            if !anchored || t == text.len() {
                return true;
            }
        } else if pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
            continue;
        } else if t < text.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
            continue;
        }
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp + 1;
                t = st + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROBOTS: &str = "\
# shpt robots
User-agent: *
Disallow: /zhengwu/
Allow: /zhengwu/qzxtabljg-jytabljg/
Disallow: /*.pdf$
Crawl-delay: 5

User-agent: otherbot
Disallow: /
";

    #[test]
    fn the_longest_matching_rule_decides() {
        let policy = RobotsPolicy::parse(ROBOTS, "govwire");
        assert!(!policy.allows("/zhengwu/zdgkml-qzfwj/2026/188/204477.html"));
        assert!(policy.allows("/zhengwu/qzxtabljg-jytabljg/2025/197/197298.html"));
        assert!(policy.allows("/front/api/data/affair"));
        assert!(!policy.allows("/files/a.pdf"));
        assert!(policy.allows("/files/a.pdf?x=1"));
        assert_eq!(policy.crawl_delay(), Some(Duration::from_secs(5)));
    }

    #[test]
    fn a_group_naming_our_token_replaces_the_star_group() {
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: GovWire\nDisallow: /private\n";
        let policy = RobotsPolicy::parse(text, "govwire");
        assert!(policy.allows("/zhengwu/x.html"));
        assert!(!policy.allows("/private/x.html"));
    }

    #[test]
    fn consecutive_agent_lines_share_one_group_and_an_equal_allow_wins() {
        let text = "User-agent: a\nUser-agent: govwire\nDisallow: /x\nAllow: /x\n";
        let policy = RobotsPolicy::parse(text, "govwire");
        assert!(policy.allows("/x/y"));
        let text = "User-agent: a\nUser-agent: govwire\nDisallow: /x\n";
        assert!(!RobotsPolicy::parse(text, "govwire").allows("/x/y"));
    }

    #[test]
    fn no_applicable_group_and_empty_disallow_allow_everything() {
        assert_eq!(
            RobotsPolicy::parse("User-agent: otherbot\nDisallow: /\n", "govwire"),
            RobotsPolicy::AllowAll
        );
        assert!(RobotsPolicy::parse("User-agent: *\nDisallow:\n", "govwire").allows("/a"));
        let unreadable = RobotsPolicy::Unreadable("the connection was refused".into());
        assert!(!unreadable.allows("/a"));
        assert_eq!(unreadable.unreadable(), Some("the connection was refused"));
        assert_eq!(RobotsPolicy::AllowAll.unreadable(), None);
    }

    #[test]
    fn non_ascii_patterns_match_percent_encoded_paths() {
        let policy = RobotsPolicy::parse("User-agent: *\nDisallow: /政务\n", "govwire");
        assert!(!policy.allows("/%E6%94%BF%E5%8A%A1/1.html"));
    }

    #[test]
    fn wildcards_backtrack() {
        assert!(pattern_matches("/a*b*c$", "/axxbyyc"));
        assert!(!pattern_matches("/a*b*c$", "/axxbyycd"));
        assert!(pattern_matches("*", "/anything"));
        assert!(!pattern_matches("/b", "/a"));
    }

    #[test]
    fn a_huge_crawl_delay_is_capped() {
        let policy = RobotsPolicy::parse("User-agent: *\nCrawl-delay: 86400\n", "govwire");
        assert_eq!(policy.crawl_delay(), Some(MAX_CRAWL_DELAY));
    }
}
