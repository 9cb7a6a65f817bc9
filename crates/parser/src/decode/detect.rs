//! Detection: the encoding of bytes nothing declares, or whose declaration
//! they contradict. UTF-8 with a few damaged bytes is UTF-8; plainly Chinese
//! GBK is recognised by its byte structure; anything else goes to the
//! detector browsers use.

use encoding_rs::{Encoding, GBK, UTF_8};

/// Guesses the encoding of bytes that are not valid UTF-8: plainly Chinese
/// GBK text is recognised by its byte structure ([`plainly_gbk_chinese`]);
/// anything else goes to the detector browsers use (chardetng), weighting
/// by the URL's top-level domain (`.cn` favours GBK).
pub(super) fn detect(bytes: &[u8], url: &str) -> &'static Encoding {
    if mostly_utf8(bytes) {
        return UTF_8;
    }
    if plainly_gbk_chinese(bytes) {
        return GBK;
    }
    detect_by_frequency(bytes, url)
}

/// Most invalid bytes a page may hold and still be read as UTF-8.
const MAX_INVALID_UTF8: usize = 8;

/// Whether `bytes`, though not valid UTF-8, are UTF-8 with a few damaged
/// bytes (a character cut in two by a truncating editor, one stray byte):
/// at most [`MAX_INVALID_UTF8`] invalid sequences, and at least twenty valid
/// multi-byte characters for each. Text in a legacy encoding read as UTF-8
/// fails at nearly every non-ASCII byte, so it never passes; and the
/// frequency detector never answers UTF-8 for a web page, so without this
/// check one bad byte would turn a UTF-8 page into mojibake.
pub(super) fn mostly_utf8(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    let mut invalid = 0usize;
    let mut multibyte = 0usize;
    loop {
        let (valid, next) = match std::str::from_utf8(rest) {
            Ok(_) => (rest, None),
            Err(error) => {
                invalid += 1;
                if invalid > MAX_INVALID_UTF8 {
                    return false;
                }
                let valid = &rest[..error.valid_up_to()];
                let skip = error.valid_up_to()
                    + error
                        .error_len()
                        .unwrap_or(rest.len() - error.valid_up_to());
                (valid, Some(&rest[skip..]))
            }
        };
        multibyte += valid.iter().filter(|&&b| b >= 0xC0).count();
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    invalid > 0 && multibyte >= invalid * 20
}

/// Fewest two-byte characters on which [`plainly_gbk_chinese`] decides.
const MIN_GBK_CHARACTERS: usize = 16;

/// Whether `bytes` are well-formed GBK (GB18030) whose two-byte characters
/// read as Chinese prose: nearly all (90%) in the GB2312 area, at least half
/// of them common (level-1) Han characters, hardly any kana (Japanese
/// EUC-JP has the same byte shape), and words not separated by spaces
/// (Korean EUC-KR has the same byte shape too). Big5 text fails the first
/// test (a third of its trail bytes are ASCII letters, outside GB2312).
///
/// This is the case of nearly every undeclared or mislabelled page of a
/// mainland government portal, decided in one pass over the bytes; every
/// other page, and every page of fewer than [`MIN_GBK_CHARACTERS`]
/// characters, goes to the frequency detector, which costs a hundred times
/// as much per byte.
pub(super) fn plainly_gbk_chinese(bytes: &[u8]) -> bool {
    let mut chars = 0usize; // two- and four-byte characters
    let mut gb2312 = 0usize;
    let mut common_han = 0usize;
    let mut kana = 0usize;
    let mut spaced = 0usize; // a space between two multi-byte characters
    let mut previous_multi = false;
    let mut space_after_multi = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if b == b' ' {
                space_after_multi = previous_multi;
            } else {
                space_after_multi = false;
            }
            previous_multi = false;
            i += 1;
            continue;
        }
        if !(0x81..=0xFE).contains(&b) {
            return false;
        }
        let Some(&second) = bytes.get(i + 1) else {
            return false;
        };
        if second.is_ascii_digit() {
            // A four-byte GB18030 sequence: rare characters, counted as
            // outside GB2312.
            match bytes.get(i + 2..i + 4) {
                Some(&[third, fourth])
                    if (0x81..=0xFE).contains(&third) && fourth.is_ascii_digit() => {}
                _ => return false,
            }
            i += 4;
        } else {
            if !matches!(second, 0x40..=0x7E | 0x80..=0xFE) {
                return false;
            }
            if (0xA1..=0xF7).contains(&b) && (0xA1..=0xFE).contains(&second) {
                gb2312 += 1;
                match b {
                    0xA4 | 0xA5 => kana += 1,
                    0xB0..=0xD7 => common_han += 1,
                    _ => {}
                }
            }
            i += 2;
        }
        chars += 1;
        if space_after_multi {
            spaced += 1;
        }
        space_after_multi = false;
        previous_multi = true;
    }
    chars >= MIN_GBK_CHARACTERS
        && gb2312 * 10 >= chars * 9
        && common_han * 2 >= chars
        && kana * 20 <= chars
        && spaced * 10 <= chars
}

/// The detector browsers use (chardetng) over the whole page.
pub(super) fn detect_by_frequency(bytes: &[u8], url: &str) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let tld = tld_of(url);
    detector.guess(tld.as_deref().map(str::as_bytes), false)
}

/// The URL's top-level domain in the form chardetng requires (lower-case
/// ASCII letters, digits and `-`, no dot); `None` when there is none.
pub(super) fn tld_of(url: &str) -> Option<String> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host_port = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = host_port
        .rsplit_once('@')
        .map_or(host_port, |(_, h)| h)
        .split(':')
        .next()
        .unwrap_or_default();
    let tld = host
        .trim_end_matches('.')
        .rsplit('.')
        .next()?
        .to_ascii_lowercase();
    let valid = !tld.is_empty()
        && tld
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !tld.chars().all(|c| c.is_ascii_digit());
    valid.then_some(tld)
}
