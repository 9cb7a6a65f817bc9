//! Text made safe to write into HTML (and SVG): what the alerts' emails,
//! the analytics report and the fixture portal's pages write, every string
//! from a portal among it.

/// `text` escaped for HTML or SVG element content and attribute values:
/// `&`, `<`, `>`, `"` and `'` as character references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_and_quotes_are_escaped_and_chinese_is_kept() {
        assert_eq!(
            super::escape(r#"<script>alert("x")</script> & '答复'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;答复&#39;"
        );
    }
}
