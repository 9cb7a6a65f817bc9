//! Bytes to text, by the web's rules: a byte-order mark wins, then the HTTP
//! `Content-Type` charset, then a `<meta charset>` / `http-equiv` declaration,
//! then detection. Older Shanghai government pages were GBK and sometimes
//! mislabelled, so a declaration the bytes contradict is not trusted blindly:
//! the bytes are detected instead and the record says so in a warning.

use std::borrow::Cow;
use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8};
use govwire_model::Warning;
use regex::bytes::Regex as BytesRegex;

use crate::error::ParseError;

use self::detect::{detect, mostly_utf8};

mod detect;

/// How far into the page a `<meta>` charset declaration is looked for.
/// Browsers prescan 1024 bytes and then switch encodings if the tree builder
/// meets a later declaration; portal pages with long inline scripts in
/// `<head>` push the declaration further, so the prescan here reads further
/// to reach the same verdict without a second parse.
const META_PRESCAN_BYTES: usize = 8 * 1024;

/// Share of replacement or control characters above which decoded text is
/// taken to be binary (an image or archive served as a page), not a page in
/// an encoding govwire failed to guess.
const MAX_GARBAGE_RATIO: f64 = 0.05;

/// A page's text and what was learnt while decoding it.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The page as text.
    pub text: Cow<'a, str>,
    /// The encoding the text was decoded with (for logs).
    pub encoding: &'static Encoding,
    /// Guesses made on the way (detected or overridden charsets), as the
    /// record's warnings word them.
    pub warnings: Vec<Warning>,
}

/// Where a charset declaration came from, for warnings.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// The `charset` parameter of the HTTP `Content-Type` header.
    Http,
    /// A `<meta charset>` or `<meta http-equiv>` in the page's head.
    Meta,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Source::Http => "the HTTP Content-Type header",
            Source::Meta => "a <meta> declaration",
        }
    }
}

/// Decodes `bytes` fetched with `content_type` from `url`, refusing an
/// empty page and bytes that are no text.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
    url: &str,
) -> Result<Decoded<'a>, ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let decoded = decode_html(bytes, content_type, Some(url));
    check_not_binary(&decoded.text)?;
    Ok(decoded)
}

/// Decodes an HTML page by the rules the parser reads every page with: a
/// byte-order mark wins, then the charset of `content_type` (the HTTP
/// `Content-Type` value), then a `<meta>` declaration, then detection; a
/// declaration the bytes contradict (GBK bytes labelled UTF-8) is overridden
/// and the warnings say so. `url`, the page's address, only tips detection
/// (a `.cn` page is more likely GBK). Never fails: undecodable bytes become
/// U+FFFD. Every reader of a portal's HTML (detail pages, list pages, link
/// finding) decodes with it, so they all read the same text.
pub fn decode_html<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
    url: Option<&str>,
) -> Decoded<'a> {
    let url = url.unwrap_or_default();
    let mut warnings = Vec::new();

    let (text, encoding) = if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let rest = bytes.get(bom_len..).unwrap_or_default();
        let (text, had_errors) = encoding.decode_without_bom_handling(rest);
        if had_errors {
            warnings.push(Warning::new(
                "page",
                format!(
                    "The page starts with a {} byte-order mark but holds bytes that are not valid {}; they were replaced.",
                    encoding.name(),
                    encoding.name()
                ),
            ));
        }
        (text, encoding)
    } else {
        let mut declared = None;
        if let Some(label) = content_type.and_then(charset_param) {
            match Encoding::for_label_no_replacement(label.as_bytes()) {
                Some(encoding) => declared = Some((encoding, Source::Http)),
                None => warnings.push(Warning::new(
                    "page",
                    format!("The HTTP Content-Type header names an unknown charset `{label}`; it was ignored."),
                )),
            }
        }
        if declared.is_none() {
            if let Some(label) = meta_charset(bytes) {
                match Encoding::for_label_no_replacement(&label) {
                    // A page cannot declare UTF-16 from inside itself (the
                    // declaration would not be readable); browsers read UTF-8.
                    Some(encoding) => declared = Some((encoding.output_encoding(), Source::Meta)),
                    None => warnings.push(Warning::new(
                        "page",
                        format!(
                            "A <meta> declaration names an unknown charset `{}`; it was ignored.",
                            String::from_utf8_lossy(&label)
                        ),
                    )),
                }
            }
        }
        match declared {
            Some((encoding, source)) => {
                decode_declared(bytes, encoding, source, url, &mut warnings)
            }
            None => decode_undeclared(bytes, url, &mut warnings),
        }
    };

    Decoded {
        text,
        encoding,
        warnings,
    }
}

/// Decodes bytes whose encoding the page declares, unless the bytes prove
/// the declaration wrong.
fn decode_declared<'a>(
    bytes: &'a [u8],
    declared: &'static Encoding,
    source: Source,
    url: &str,
    warnings: &mut Vec<Warning>,
) -> (Cow<'a, str>, &'static Encoding) {
    let has_non_ascii = !bytes.is_ascii();
    // Valid multi-byte UTF-8 almost never happens by accident in a legacy
    // encoding; a page declaring GBK whose bytes are valid UTF-8 is UTF-8.
    // So is a page of UTF-8 with a few damaged bytes.
    if declared != UTF_8 && has_non_ascii {
        let valid = std::str::from_utf8(bytes).is_ok();
        if valid || mostly_utf8(bytes) {
            warnings.push(mismatch_warning(declared, source, UTF_8));
            if !valid {
                warnings.push(Warning::new(
                    "page",
                    "Some bytes are not valid UTF-8 either; they were replaced.",
                ));
            }
            return (String::from_utf8_lossy(bytes), UTF_8);
        }
    }
    // Single-byte encodings accept every byte, so a strict decode cannot
    // reveal a wrong `iso-8859-1` default sent by a server for a Chinese page.
    if declared.is_single_byte() && has_non_ascii {
        let detected = detect(bytes, url);
        if detected != declared && !detected.is_single_byte() {
            let (text, _) = detected.decode_without_bom_handling(bytes);
            warnings.push(mismatch_warning(declared, source, detected));
            return (text, detected);
        }
    }
    if let Some(text) = declared.decode_without_bom_handling_and_without_replacement(bytes) {
        return (text, declared);
    }
    let detected = detect(bytes, url);
    if detected == declared {
        let (text, _) = declared.decode_without_bom_handling(bytes);
        warnings.push(Warning::new(
            "page",
            format!(
                "The page is {} as {} declares, but some bytes are not valid {}; they were replaced.",
                declared.name(),
                source.describe(),
                declared.name()
            ),
        ));
        return (text, declared);
    }
    let (text, had_errors) = detected.decode_without_bom_handling(bytes);
    warnings.push(mismatch_warning(declared, source, detected));
    if had_errors {
        warnings.push(Warning::new(
            "page",
            format!(
                "Some bytes are not valid {} either; they were replaced.",
                detected.name()
            ),
        ));
    }
    (text, detected)
}

fn mismatch_warning(
    declared: &'static Encoding,
    source: Source,
    used: &'static Encoding,
) -> Warning {
    Warning::new(
        "page",
        format!(
            "The page declares charset {} in {} but its bytes are not {}; decoded as {} by detection.",
            declared.name(),
            source.describe(),
            declared.name(),
            used.name()
        ),
    )
}

/// Decodes bytes whose encoding nothing declares.
fn decode_undeclared<'a>(
    bytes: &'a [u8],
    url: &str,
    warnings: &mut Vec<Warning>,
) -> (Cow<'a, str>, &'static Encoding) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(text), UTF_8);
    }
    let detected = detect(bytes, url);
    let (text, had_errors) = detected.decode_without_bom_handling(bytes);
    warnings.push(Warning::new(
        "page",
        format!(
            "The page declares no charset; decoded as {} by detection{}.",
            detected.name(),
            if had_errors {
                ", with undecodable bytes replaced"
            } else {
                ""
            }
        ),
    ));
    (text, detected)
}

/// The `charset` parameter of a `Content-Type` value.
pub(crate) fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

static META_CHARSET: LazyLock<BytesRegex> = LazyLock::new(|| {
    BytesRegex::new(r#"(?i-u)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#)
        .unwrap_or_else(|error| panic!("invalid built-in pattern: {error}"))
});

/// The charset label of the first `<meta charset>` or `<meta http-equiv
/// content="…; charset=…">` in the page's head.
fn meta_charset(bytes: &[u8]) -> Option<Vec<u8>> {
    let head = bytes.get(..META_PRESCAN_BYTES).unwrap_or(bytes);
    let caps = META_CHARSET.captures(head)?;
    Some(caps.get(1)?.as_bytes().to_vec())
}

/// Refuses text that is mostly replacement or control characters: binary
/// content, not a page.
fn check_not_binary(text: &str) -> Result<(), ParseError> {
    // Counted over the bytes, which the compiler does many at a time: a
    // character starts at every byte that is not a continuation byte; C0
    // controls and DEL are single bytes, C1 controls are C2 80..C2 9F, the
    // replacement character is EF BF BD.
    let bytes = text.as_bytes();
    let (mut total, mut garbage) = (0usize, 0usize);
    // Counted in chunks whose counts fit a byte, without branches, so that
    // the loop runs on whole vectors.
    for chunk in bytes.chunks(255) {
        let (mut starts, mut controls) = (0u8, 0u8);
        for &b in chunk {
            starts += u8::from((b & 0xC0) != 0x80);
            let c0 = (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r') & (b != 0x0C);
            controls += u8::from(c0 | (b == 0x7F));
        }
        total += usize::from(starts);
        garbage += usize::from(controls);
    }
    if !text.is_ascii() {
        garbage += memchr::memchr_iter(0xC2, bytes)
            .filter(|&at| bytes.get(at + 1).is_some_and(|b| (0x80..=0x9F).contains(b)))
            .count();
        garbage += memchr::memmem::find_iter(bytes, "\u{FFFD}".as_bytes()).count();
    }
    if total == 0 {
        return Err(ParseError::Empty);
    }
    let ratio = garbage as f64 / total as f64;
    if garbage > 8 && ratio > MAX_GARBAGE_RATIO {
        return Err(ParseError::Undecodable {
            reason: format!(
                "{garbage} of {total} characters are undecodable or control characters; the bytes are not a text page"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::detect::{detect_by_frequency, plainly_gbk_chinese, tld_of};
    use super::*;
    use encoding_rs::GBK;

    #[test]
    fn charset_parameters_are_read_case_insensitively_and_unquoted() {
        assert_eq!(
            charset_param("text/html; Charset=\"GBK\"").as_deref(),
            Some("GBK")
        );
        assert_eq!(charset_param("text/html").as_deref(), None);
    }

    #[test]
    fn the_tld_is_taken_from_the_host_only() {
        assert_eq!(
            tld_of("https://www.shpt.gov.cn/a/b.html").as_deref(),
            Some("cn")
        );
        assert_eq!(tld_of("http://127.0.0.1:8080/x").as_deref(), None);
        assert_eq!(tld_of("not a url").as_deref(), None);
    }

    /// `text` encoded in `encoding`, inside a small page.
    fn page_in(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        let html = format!("<html><head><title>t</title></head><body><p>{text}</p></body></html>");
        let (bytes, _, unmappable) = encoding.encode(&html);
        assert!(
            !unmappable,
            "the sample is representable in {}",
            encoding.name()
        );
        bytes.into_owned()
    }

    const CHINESE: &str = "关于区十七届人大三次会议第0123号代表建议的答复。许鸿蕨代表：您提出的关于加强社区养老服务设施建设的建议收悉，现答复如下。";

    #[test]
    fn utf8_with_a_few_damaged_bytes_is_still_utf8() {
        let mut bytes = page_in(UTF_8, CHINESE);
        let at = bytes.len() / 2;
        bytes.insert(at, 0xFF);
        assert!(mostly_utf8(&bytes));
        assert_eq!(detect(&bytes, "https://www.shpt.gov.cn/a.html"), UTF_8);
        // A character cut short at the end.
        let mut cut = page_in(UTF_8, CHINESE);
        cut.extend_from_slice(&"答".as_bytes()[..2]);
        assert!(mostly_utf8(&cut));
        // GBK is not "mostly UTF-8"; neither is valid UTF-8 (nothing to repair).
        assert!(!mostly_utf8(&page_in(GBK, CHINESE)));
        assert!(!mostly_utf8(&page_in(UTF_8, CHINESE)));
    }

    #[test]
    fn a_damaged_utf8_page_decodes_as_utf8_with_a_warning_whatever_it_declares() {
        let mut bytes = page_in(UTF_8, CHINESE);
        // A stray byte after the title, away from the addressee.
        let at = bytes
            .windows(8)
            .position(|w| w == b"</title>")
            .expect("a title");
        bytes.insert(at, 0xFF);
        for content_type in [
            None,
            Some("text/html; charset=utf-8"),
            Some("text/html; charset=gbk"),
        ] {
            let decoded = decode(&bytes, content_type, "https://www.shpt.gov.cn/a.html")
                .expect("the page decodes");
            assert_eq!(decoded.encoding, UTF_8, "{content_type:?}");
            assert!(decoded.text.contains("许鸿蕨代表"), "{content_type:?}");
            assert_eq!(
                decoded.text.matches('\u{FFFD}').count(),
                1,
                "{content_type:?}"
            );
            assert!(!decoded.warnings.is_empty(), "{content_type:?}");
        }
    }

    #[test]
    fn chinese_gbk_is_recognised_by_its_byte_structure() {
        let bytes = page_in(GBK, CHINESE);
        assert!(plainly_gbk_chinese(&bytes));
        assert_eq!(detect(&bytes, "https://www.shpt.gov.cn/a.html"), GBK);
        assert_eq!(
            detect_by_frequency(&bytes, "https://www.shpt.gov.cn/a.html"),
            GBK
        );
        // Too little text to decide on: the frequency detector decides.
        assert!(!plainly_gbk_chinese(&page_in(GBK, "答复")));
    }

    #[test]
    fn other_east_asian_encodings_of_the_same_shape_go_to_the_frequency_detector() {
        let samples: [(&'static Encoding, &str); 4] = [
            (
                encoding_rs::BIG5,
                "關於區十七屆人大三次會議第0123號代表建議的答覆。您提出的關於加強社區養老服務設施建設的建議收悉，現答覆如下。",
            ),
            (
                encoding_rs::EUC_KR,
                "대한민국 국회는 국민의 대표로 구성되며 법률을 제정하고 예산을 심의하는 기관입니다. 의원들은 지역 주민의 의견을 듣고 정부에 질의합니다.",
            ),
            (
                encoding_rs::EUC_JP,
                "この度は貴重なご提案をいただきありがとうございます。区としては、地域の高齢者のための施設の整備を進めてまいります。",
            ),
            (
                encoding_rs::SHIFT_JIS,
                "この度は貴重なご提案をいただきありがとうございます。区としては、地域の高齢者のための施設の整備を進めてまいります。",
            ),
        ];
        for (encoding, text) in samples {
            let bytes = page_in(encoding, text);
            assert!(
                !plainly_gbk_chinese(&bytes),
                "{} text is not taken for GBK",
                encoding.name()
            );
            assert_eq!(
                detect(&bytes, "https://example.org/a.html"),
                encoding,
                "{} text is detected as such",
                encoding.name()
            );
        }
    }

    #[test]
    fn the_structural_check_agrees_with_the_frequency_detector_on_the_corpus() {
        use govwire_fixture_portal::{corpus, Layout};
        let mut recognised = 0;
        for doc in corpus().into_iter().filter(|d| d.is_served()) {
            for layout in Layout::ALL {
                let body = doc.served_as(layout).body;
                if std::str::from_utf8(&body).is_ok() || !plainly_gbk_chinese(&body) {
                    continue;
                }
                recognised += 1;
                let url = format!("https://www.shpt.gov.cn{}", doc.path());
                assert_eq!(
                    detect_by_frequency(&body, &url),
                    GBK,
                    "{} in the {layout:?} layout",
                    doc.path()
                );
            }
        }
        assert!(
            recognised >= 8,
            "only {recognised} corpus pages were checked"
        );
    }

    #[test]
    fn binary_content_is_refused_by_its_share_of_garbage_characters() {
        assert!(check_not_binary("答复如下：\t\n\r\u{0C}正文").is_ok());
        assert!(matches!(check_not_binary(""), Err(ParseError::Empty)));
        // A few damaged characters in a page are not binary.
        let page = format!("{}\u{FFFD}\u{0001}\u{0085}", "答复".repeat(100));
        assert!(check_not_binary(&page).is_ok());
        for garbage in ['\u{FFFD}', '\u{0001}', '\u{007F}', '\u{0085}', '\u{009F}'] {
            let text: String = std::iter::repeat_n(garbage, 20)
                .chain("答复如下".chars())
                .collect();
            assert!(
                matches!(check_not_binary(&text), Err(ParseError::Undecodable { .. })),
                "{garbage:?}"
            );
        }
        // Near misses: U+00A0 (C2 A0) and U+FFFC are text.
        let text: String = std::iter::repeat_n('\u{00A0}', 20)
            .chain(std::iter::repeat_n('\u{FFFC}', 20))
            .collect();
        assert!(check_not_binary(&text).is_ok());
    }

    #[test]
    fn meta_declarations_are_found_in_both_forms() {
        assert_eq!(
            meta_charset(br#"<head><meta charset="gb2312"></head>"#).as_deref(),
            Some(&b"gb2312"[..])
        );
        assert_eq!(
            meta_charset(br#"<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=GBK">"#)
                .as_deref(),
            Some(&b"GBK"[..])
        );
    }
}
