//! The nesting check run before any HTML tree is built: deeply nested HTML
//! makes tree building quadratic, so it is refused from the tags alone, in
//! time linear in the page.

use crate::error::ParseError;

/// Deepest element nesting accepted. Portal pages nest a few dozen levels;
/// HTML nested thousands deep is not a page but a way to make the HTML tree
/// builder work quadratically, and is refused.
const MAX_NESTING: usize = 4_000;

/// Whether an element's end tag may be left out or it has none (`p`, `li`,
/// `td`, `br`, `img`…): such elements do not nest when unclosed, so they do
/// not count towards the nesting estimate. `name` is lower-case.
fn is_non_nesting(name: &[u8]) -> bool {
    matches!(
        name,
        b"p" | b"li"
            | b"dt"
            | b"dd"
            | b"option"
            | b"optgroup"
            | b"tr"
            | b"td"
            | b"th"
            | b"tbody"
            | b"thead"
            | b"tfoot"
            | b"colgroup"
            | b"caption"
            | b"rb"
            | b"rt"
            | b"rp"
            | b"html"
            | b"head"
            | b"body"
            | b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
    )
}

/// Whether an element's content is raw text, where tags are not tags.
/// `name` is lower-case.
fn is_raw_text(name: &[u8]) -> bool {
    matches!(
        name,
        b"script"
            | b"style"
            | b"textarea"
            | b"title"
            | b"xmp"
            | b"iframe"
            | b"noembed"
            | b"noframes"
            | b"noscript"
    )
}

/// Longest tag name the nesting estimate tells apart; longer names are
/// none of the special ones.
const MAX_SPECIAL_NAME: usize = 8;

/// Refuses HTML nested deeper than [`MAX_NESTING`], estimated from the tags
/// without building a tree (start tags minus end tags of elements that
/// nest). Reads bytes: decoded text, or the bytes of a page in an
/// ASCII-compatible encoding (UTF-8, GBK, GB18030), where no byte of a
/// multi-byte character is a `<`, `/`, `!`, `?` or `>`.
pub(crate) fn check_nesting(bytes: &[u8]) -> Result<(), ParseError> {
    // Every level of nesting takes a `<`: a page with fewer than the limit
    // (nearly every page) cannot nest deeper, and is not read tag by tag.
    if memchr::memchr_iter(b'<', bytes).count() <= MAX_NESTING {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut i = 0;
    // A tag's name (ASCII letters, digits, `-`), lower-cased into `buf` when
    // short enough to be a special one, and where it ends.
    let tag_name = |from: usize, buf: &mut [u8; MAX_SPECIAL_NAME]| -> (usize, usize) {
        let mut j = from;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-') {
            if j - from < MAX_SPECIAL_NAME {
                buf[j - from] = bytes[j].to_ascii_lowercase();
            }
            j += 1;
        }
        (j - from, j)
    };
    let find = |from: usize, needle: &[u8]| -> usize {
        let Some(rest) = bytes.get(from..) else {
            return bytes.len();
        };
        // Candidates start with the needle's first byte, in either case.
        let (lower, upper) = (
            needle[0].to_ascii_lowercase(),
            needle[0].to_ascii_uppercase(),
        );
        let mut at = 0;
        while let Some(p) = memchr::memchr2(lower, upper, &rest[at..]) {
            let start = at + p;
            if rest
                .get(start..start + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
            {
                return from + start + needle.len();
            }
            at = start + 1;
        }
        bytes.len()
    };
    let mut buf = [0u8; MAX_SPECIAL_NAME];
    while i < bytes.len() {
        if bytes[i] != b'<' {
            // Straight to the next tag.
            i = memchr::memchr(b'<', &bytes[i..]).map_or(bytes.len(), |p| i + p);
            continue;
        }
        let next = bytes.get(i + 1).copied().unwrap_or(b' ');
        if bytes[i..].starts_with(b"<!--") {
            i = find(i + 4, b"-->");
        } else if next == b'!' || next == b'?' {
            i = find(i + 1, b">");
        } else if next == b'/' {
            let (len, end) = tag_name(i + 2, &mut buf);
            let special = len <= MAX_SPECIAL_NAME && is_non_nesting(&buf[..len]);
            if len > 0 && !special {
                depth = depth.saturating_sub(1);
            }
            i = end.max(i + 2);
        } else if next.is_ascii_alphabetic() {
            let (len, end) = tag_name(i + 1, &mut buf);
            let name = &buf[..len.min(MAX_SPECIAL_NAME)];
            if len <= MAX_SPECIAL_NAME && is_raw_text(name) {
                let mut closing = b"</".to_vec();
                closing.extend_from_slice(name);
                i = find(end, &closing);
                continue;
            }
            if len > MAX_SPECIAL_NAME || !is_non_nesting(name) {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ParseError::Malformed {
                        reason: format!(
                            "elements are nested more than {MAX_NESTING} levels deep; portal pages nest a few dozen"
                        ),
                    });
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    Ok(())
}
