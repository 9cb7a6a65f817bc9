//! DOCX text in Rust: `word/document.xml` from the zip, one line per
//! paragraph (`w:p`), tabs and line breaks kept.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::ExtractError;

const KIND: &str = "DOCX";

/// Whether the zip in `bytes` holds a word-processing document.
pub(crate) fn is_docx(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(bytes))
        .is_ok_and(|archive| archive.index_for_name("word/document.xml").is_some())
}

fn corrupt(reason: impl std::fmt::Display) -> ExtractError {
    ExtractError::Corrupt {
        kind: KIND,
        reason: reason.to_string(),
    }
}

/// The document's text. `max_xml` bounds the XML read from the zip (a zip
/// bomb stops there), `max_out` the text.
pub(crate) fn text(bytes: &[u8], max_xml: usize, max_out: usize) -> Result<String, ExtractError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|error| corrupt(format!("no word/document.xml ({error})")))?;
    let mut xml = Vec::new();
    entry
        .take(max_xml as u64 + 1)
        .read_to_end(&mut xml)
        .map_err(corrupt)?;
    if xml.len() > max_xml {
        return Err(corrupt(format!(
            "word/document.xml unpacks to more than {max_xml} bytes"
        )));
    }
    let xml = String::from_utf8(xml).map_err(|_| corrupt("word/document.xml is not UTF-8"))?;
    paragraphs(&xml, max_out)
}

fn paragraphs(xml: &str, max_out: usize) -> Result<String, ExtractError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut out = String::new();
    let mut line = String::new();
    let mut in_text = false;
    loop {
        let event = reader.read_event().map_err(|error| {
            corrupt(format!(
                "word/document.xml at byte {}: {error}",
                reader.buffer_position()
            ))
        })?;
        match event {
            Event::Start(e) => match e.name().as_ref() {
                b"w:t" => in_text = true,
                b"w:p" => line.clear(),
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                b"w:tab" => line.push('\t'),
                b"w:br" | b"w:cr" => line.push('\n'),
                b"w:p" => push_line(&mut out, "", max_out)?,
                _ => {}
            },
            Event::Text(t) if in_text => {
                line.push_str(&t.unescape().map_err(corrupt)?);
            }
            Event::End(e) => match e.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:p" => {
                    push_line(&mut out, &line, max_out)?;
                    line.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

fn push_line(out: &mut String, line: &str, max_out: usize) -> Result<(), ExtractError> {
    if out.len() + line.len() + 1 > max_out {
        return Err(ExtractError::OutputTooLarge { limit: max_out });
    }
    out.push_str(line);
    out.push('\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_become_lines_with_runs_joined_and_entities_decoded() {
        let xml = r#"<w:document xmlns:w="x"><w:body>
            <w:p><w:r><w:t>关于</w:t></w:r><w:r><w:t xml:space="preserve">第0231号 &amp; </w:t></w:r><w:r><w:t>建议</w:t></w:r></w:p>
            <w:p/>
            <w:p><w:r><w:t>一、</w:t><w:tab/><w:t>情况</w:t></w:r></w:p>
        </w:body></w:document>"#;
        assert_eq!(
            paragraphs(xml, 1 << 20).unwrap(),
            "关于第0231号 & 建议\n\n一、\t情况\n"
        );
    }

    #[test]
    fn text_over_the_cap_is_refused() {
        let xml = r#"<w:document xmlns:w="x"><w:p><w:r><w:t>一二三四五六七八九十</w:t></w:r></w:p></w:document>"#;
        assert!(matches!(
            paragraphs(xml, 10),
            Err(ExtractError::OutputTooLarge { limit: 10 })
        ));
    }
}
