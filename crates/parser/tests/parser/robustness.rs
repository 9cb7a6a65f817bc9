//! Bad input gets an error or a verdict, never a panic or a hang.

use govwire_model::PageOutcome;
use govwire_parser::{parse_page, ParseError};

use crate::support::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let profile = shpt_profile();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..300 {
        let len = rng.below(4096);
        let body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let content_type = [
            "text/html",
            "text/html; charset=gbk",
            "text/html; charset=utf-8",
            "",
        ][rng.below(4)];
        let page = raw_page(body, Some(content_type));
        match parse_page(&page, &profile) {
            Ok(parsed) => assert_eq!(parsed.page_sha256, page.body_sha256()),
            Err(error) => assert!(!error.to_string().is_empty()),
        }
    }
}

#[test]
fn shuffled_fragments_of_a_real_page_never_panic() {
    // Pieces of real markup and text recombined at random: closer to the
    // broken pages a portal may serve than uniform noise is.
    let html = real_page_html();
    let pieces: Vec<&str> = html.split_inclusive(['>', '。', '：']).collect();
    let extras = [
        "<p>",
        "</div>",
        "<br>",
        "一、",
        "（一）",
        "1. ",
        "收悉",
        "办理结果：",
        "：",
        "抄送：",
        "2022年8月8日",
        "印发",
        "普府〔2022〕",
        "<meta charset=\"gbk\">",
        "\u{FFFD}",
        "\0",
        "“",
        "《",
    ];
    let profile = shpt_profile();
    let mut rng = Rng(42);
    for _ in 0..200 {
        let mut text = String::new();
        for _ in 0..rng.below(120) {
            if rng.below(4) == 0 {
                text.push_str(extras[rng.below(extras.len())]);
            } else {
                text.push_str(pieces[rng.below(pieces.len())]);
            }
        }
        let page = raw_page(text.into_bytes(), Some("text/html; charset=utf-8"));
        match parse_page(&page, &profile) {
            Ok(parsed) => {
                if let PageOutcome::Reply { reply } = parsed.outcome {
                    assert!(!reply.title.is_empty());
                    assert!(!reply.body.sections.is_empty());
                }
            }
            Err(error) => assert!(!error.to_string().is_empty()),
        }
    }
}

#[test]
fn an_empty_page_is_an_error() {
    let page = raw_page(b"  \r\n ".to_vec(), Some("text/html"));
    assert!(matches!(
        parse_page(&page, &shpt_profile()),
        Err(ParseError::Empty)
    ));
}

#[test]
fn binary_content_is_undecodable() {
    let mut body = b"\x89PNG\r\n\x1a\n".to_vec();
    body.extend((0u8..=255).cycle().take(2000));
    let page = raw_page(body, Some("text/html"));
    assert!(matches!(
        parse_page(&page, &shpt_profile()),
        Err(ParseError::Undecodable { .. })
    ));
}

#[test]
fn html_nested_thousands_of_levels_deep_is_refused_not_read() {
    let depth = 200_000;
    let html = format!(
        "<html><body>{}<p>对市十五届人大六次会议第0184号代表建议的答复</p>{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    match parse_page(&page, &shpt_profile()) {
        Err(ParseError::Malformed { reason }) => assert!(reason.contains("nested"), "{reason}"),
        other => panic!("expected the page to be refused as malformed, got {other:?}"),
    }
}

#[test]
fn thousands_of_unclosed_paragraphs_are_not_mistaken_for_deep_nesting() {
    // Old pages leave <p> and <li> unclosed; they do not nest.
    let html = real_page_html().replace("</p>", "").replace(
        "<div class=\"aside\">",
        &format!("{}<div class=\"aside\">", "<p>".repeat(6000)),
    );
    assert!(html.matches("<p>").count() > 6000);
    let page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    let parsed = parse_page(&page, &shpt_profile()).expect("unclosed paragraphs parse");
    assert_json_eq(
        &real_expected(),
        &content_json(reply_of(&parsed)),
        "unclosed <p>",
    );
}
