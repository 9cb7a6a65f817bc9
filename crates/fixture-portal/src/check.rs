//! Soundness checks: the problems that would make a document's page or its
//! golden record wrong ([`Document::problems`]), or make a reply spec disagree
//! with itself or with the contract's rules ([`ReplySpec::problems`]). The
//! corpus loader refuses a spec that has any, and so does the admin API.
//!
//! The checks read the page as it is rendered (a GBK page must be
//! representable in GBK in every layout) and the files it links (a reply
//! held in an attachment must be exactly that file's text lines).

use govwire_model::{HandlingCategory, Level, ProposalKind, ReplyKind};

use crate::attachments::attachment;
use crate::render::{first_unmappable_in_gbk, reply_lines};
use crate::spec::{
    text_lines, CharsetLabel, Document, Expect, Layout, Link, PageEncoding, Paragraph, ReplySpec,
    TitleMarkup, PORTAL_ID,
};
use crate::text;

impl ReplySpec {
    /// Problems that make the spec disagree with itself or with the
    /// contract's rules; empty when it is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let p = &self.proposal;
        if self.title.normalized != text::normalize_title(&self.title.written) {
            out.push(format!(
                "title.normalized `{}` is not the normalized form of `{}`",
                self.title.normalized, self.title.written
            ));
        }
        if let Some(number) = &self.doc_number {
            match text::normalize_doc_number(&number.written) {
                Some(n) if n == number.normalized => {}
                Some(n) => out.push(format!(
                    "doc_number.normalized `{}` should be `{n}`",
                    number.normalized
                )),
                None => out.push(format!(
                    "doc_number.written `{}` is not shaped like a doc number",
                    number.written
                )),
            }
        }
        if text::parse_written_date(&self.signed.written) != Some(self.signed.date) {
            out.push(format!(
                "signed.written `{}` does not say {}",
                self.signed.written, self.signed.date
            ));
        }
        if let Some(printed) = &self.printed {
            if text::parse_written_date(&printed.on.written) != Some(printed.on.date) {
                out.push(format!(
                    "printed.on.written `{}` does not say {}",
                    printed.on.written, printed.on.date
                ));
            }
        }
        if let Some(raw) = &self.handling_result {
            if HandlingCategory::from_raw(raw).is_none() {
                out.push(format!("handling_result `{raw}` is not in the vocabulary"));
            }
        }
        if self.addressee.is_empty() || self.addressee.ends_with('：') {
            out.push("addressee must be non-empty and without its colon".into());
        }
        let title = &self.title.normalized;
        let kind_ok = match self.kind {
            ReplyKind::Answer => {
                title.ends_with("答复") && !title.contains("再次") && !title.contains("跟踪")
            }
            ReplyKind::CoHandlingOpinion => title.contains("会办意见"),
            ReplyKind::FollowUp => title.contains("再次答复") || title.contains("跟踪办理"),
        };
        if !kind_ok {
            out.push(format!(
                "title `{title}` does not say reply kind {:?}",
                self.kind
            ));
        }
        // Sections and paragraphs follow the body rules, so a parser that
        // applies them finds exactly this body.
        match self.sections.first() {
            None => out.push("the body has no sections".into()),
            Some(first) if first.heading.is_some() => {
                out.push("the first section must be the opening (no heading)".into())
            }
            Some(_) => {}
        }
        for (i, section) in self.sections.iter().enumerate() {
            if i > 0 {
                match &section.heading {
                    Some(h) if text::is_heading(h) => {}
                    other => out.push(format!("section {i} heading {other:?} is not `一、…`")),
                }
            }
            if section.paragraphs.is_empty() {
                out.push(format!("section {i} has no paragraphs"));
            }
            for paragraph in &section.paragraphs {
                let lines = paragraph.lines();
                if let Paragraph::Split { page_break } = paragraph {
                    if page_break.len() < 2 {
                        out.push("a page_break paragraph needs at least two parts".into());
                    }
                }
                for (j, line) in lines.iter().enumerate() {
                    let last = j + 1 == lines.len();
                    if line.trim().is_empty() || line.contains('\n') {
                        out.push(format!("section {i}: an empty or multi-line paragraph"));
                    }
                    if text::is_heading(line) {
                        out.push(format!(
                            "section {i}: paragraph `{line}` looks like a heading"
                        ));
                    }
                    if last && !text::ends_sentence(line) {
                        out.push(format!(
                            "section {i}: paragraph `{line}` ends without sentence-final punctuation (a parser would join it to the next)"
                        ));
                    }
                    if !last && text::ends_sentence(line) {
                        out.push(format!(
                            "section {i}: page-break part `{line}` ends with sentence-final punctuation (a parser could not rejoin it)"
                        ));
                    }
                }
            }
        }
        let opening: String = self
            .sections
            .first()
            .and_then(|s| s.paragraphs.first())
            .map(|p| p.joined())
            .unwrap_or_default();
        let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let opening_c = compact(&opening);
        let title_c = compact(&self.title.written);
        if let Some(subject) = &p.subject {
            if !opening.contains(&format!("“{subject}”"))
                && !opening.contains(&format!("《{subject}》"))
            {
                out.push(format!(
                    "the opening does not quote the subject `{subject}` in “” or 《》"
                ));
            }
        }
        if let Some(meeting) = &p.meeting {
            if !title_c.contains(meeting.as_str()) && !opening_c.contains(meeting.as_str()) {
                out.push(format!(
                    "meeting `{meeting}` is neither in the title nor in the opening"
                ));
            }
            let (term, session) = text::meeting_term_session(meeting);
            if (term, session) != (p.term, p.session) {
                out.push(format!(
                    "meeting `{meeting}` says term {term:?} session {session:?}, spec says {:?} {:?}",
                    p.term, p.session
                ));
            }
            let level = if meeting.starts_with('市') || meeting.starts_with("上海市") {
                Some(Level::Municipal)
            } else if meeting.starts_with('区') || meeting.starts_with("普陀区") {
                Some(Level::District)
            } else {
                None
            };
            if level != p.level {
                out.push(format!(
                    "meeting `{meeting}` says level {level:?}, spec says {:?}",
                    p.level
                ));
            }
            let kind = if meeting.contains("人大") || meeting.contains("人民代表大会") {
                Some(ProposalKind::DeputySuggestion)
            } else if meeting.contains("政协") {
                Some(ProposalKind::MemberProposal)
            } else {
                None
            };
            if kind != p.kind {
                out.push(format!(
                    "meeting `{meeting}` says kind {kind:?}, spec says {:?}",
                    p.kind
                ));
            }
        }
        if let Some(number) = &p.number {
            if !title_c.contains(number.as_str()) && !opening_c.contains(number.as_str()) {
                out.push(format!(
                    "number `{number}` is neither in the title nor in the opening"
                ));
            }
        }
        for proposer in &p.proposers {
            if !self.addressee.contains(proposer.as_str()) && !opening.contains(proposer.as_str()) {
                out.push(format!(
                    "proposer `{proposer}` is neither the addressee nor named in the opening"
                ));
            }
        }
        if let Some(n) = p.co_proposers {
            let says = |written: &str| {
                ["名", "位"]
                    .iter()
                    .any(|unit| opening.contains(&format!("其他{written}{unit}")))
            };
            let han = text::chinese_numeral(n);
            if !says(&n.to_string()) && !han.as_deref().is_some_and(says) {
                out.push(format!(
                    "co_proposers {n}: the opening does not say `其他{n}名` (or in Chinese numerals)"
                ));
            }
        }
        for (i, line) in self.attachment_notes.iter().enumerate() {
            let ok = if i == 0 {
                line.starts_with("附件") && line.chars().take(5).any(|c| c == '：' || c == ':')
            } else {
                text::is_numbered_item(line) && !text::ends_sentence(line)
            };
            if !ok {
                out.push(format!(
                    "attachment note `{line}`: the first must be `附件：…`, the rest `2. …` without final punctuation"
                ));
            }
        }
        if self.signer_beside_number && (self.signer.is_none() || self.doc_number.is_none()) {
            out.push("signer_beside_number needs both a signer and a doc number".into());
        }
        if self.kind == ReplyKind::CoHandlingOpinion {
            let all: String = self
                .sections
                .iter()
                .flat_map(|s| &s.paragraphs)
                .map(Paragraph::joined)
                .collect();
            if !all.contains("以上意见供你单位统一答复") {
                out.push(
                    "a co-handling opinion must say `以上意见供你单位统一答复…时参考。`".into(),
                );
            }
        }
        out
    }
}

impl Document {
    /// Problems with the linked files: each must be a served file with a
    /// name, at most one holds the reply, and that one's text must be the
    /// reply spec's lines exactly.
    fn attachment_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for spec in &self.attachments {
            if spec.name.trim().is_empty() {
                out.push(format!("attachment `{}` needs a name", spec.file));
            }
            if attachment(&spec.file).is_none() {
                out.push(format!(
                    "attachment `{}` is not a file under corpus/attachments/",
                    spec.file
                ));
            }
        }
        if self.attachments.iter().filter(|a| a.holds_reply).count() > 1 {
            out.push("at most one attachment can hold the reply".into());
        }
        let Some(holder) = self.reply_attachment() else {
            return out;
        };
        let Some(reply) = &self.reply else {
            out.push("an attachment that holds the reply needs a [reply] spec".into());
            return out;
        };
        if let Some(file) = attachment(&holder.file) {
            let expected = reply_lines(self, reply, Layout::Current);
            let actual = text_lines(file.text);
            if let Some(at) =
                (0..expected.len().max(actual.len())).find(|&i| expected.get(i) != actual.get(i))
            {
                out.push(format!(
                    "attachment `{}` line {} is `{}`, the reply spec says `{}`",
                    holder.file,
                    at + 1,
                    actual.get(at).map_or("(none)", String::as_str),
                    expected.get(at).map_or("(none)", String::as_str),
                ));
            }
        }
        out
    }

    /// Problems that would make the page or its golden record wrong; empty
    /// when the document is sound. The embedded corpus has none, and the admin
    /// API refuses a document that has any.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.item_id.is_empty() || !self.item_id.chars().all(|c| c.is_ascii_digit()) {
            out.push(format!(
                "item_id `{}` must be a numeric string",
                self.item_id
            ));
        }
        let slug_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !slug_ok(&self.column) {
            out.push(format!("column `{}` must be a lowercase slug", self.column));
        }
        if !slug_ok(&self.channel) {
            out.push(format!(
                "channel `{}` must be a channel id or a lowercase column slug",
                self.channel
            ));
        }
        if self.url_node.is_empty() || !self.url_node.chars().all(|c| c.is_ascii_digit()) {
            out.push(format!("url_node `{}` must be numeric", self.url_node));
        }
        if !(1990..=2100).contains(&self.url_year) {
            out.push(format!(
                "url_year {} is not a plausible year",
                self.url_year
            ));
        }
        if self.charset_label == CharsetLabel::LyingUtf8 && self.encoding == PageEncoding::Utf8 {
            out.push("charset_label `lying_utf8` needs a non-UTF-8 encoding to lie about".into());
        }
        if self.encoding == PageEncoding::Gbk {
            for layout in Layout::ALL {
                if let Some(c) = first_unmappable_in_gbk(&self.render_as(layout)) {
                    out.push(format!(
                        "encoding `gbk` cannot represent `{c}` (use `gb18030`)"
                    ));
                    break;
                }
            }
        }
        if let Link::External(url) = &self.link {
            if !url.starts_with("https://") && !url.starts_with("http://") {
                out.push(format!(
                    "external link `{url}` must be an absolute http(s) URL"
                ));
            }
        }
        out.extend(self.attachment_problems());
        out.extend(self.variant_problems());
        match (&self.reply, &self.text) {
            (Some(reply), None) => {
                if self.expect != Expect::Reply {
                    out.push("a [reply] document must expect `reply`".into());
                }
                out.extend(reply.problems());
                if let (Some(meta), Some(line)) = (&self.meta.disclosure, &reply.disclosure_line) {
                    if meta != line {
                        out.push(format!(
                            "meta.disclosure `{meta}` disagrees with the text's 公开属性 `{line}`"
                        ));
                    }
                }
            }
            (None, Some(text)) => {
                if text.title.trim().is_empty() {
                    out.push("text.title is empty".into());
                }
                if self.is_served() && text.lines.is_empty() {
                    out.push(
                        "a served text page needs lines (or a `file` resolved at load)".into(),
                    );
                }
                if text
                    .lines
                    .iter()
                    .any(|l| l.trim().is_empty() || l.contains('\n'))
                {
                    out.push("text lines must be non-empty single lines".into());
                }
                match (self.expect, &text.golden) {
                    (Expect::Reply, None) => {
                        out.push("a text page that expects `reply` needs a golden record".into())
                    }
                    (Expect::NotAReply, Some(_)) => {
                        out.push("a `not_a_reply` page cannot have a golden record".into())
                    }
                    _ => {}
                }
                if let Some(golden) = &text.golden {
                    if golden.portal != PORTAL_ID {
                        out.push(format!(
                            "golden portal `{}` is not `{PORTAL_ID}`",
                            golden.portal
                        ));
                    }
                }
            }
            (Some(_), Some(_)) => {
                out.push("a document has either [reply] or [text], not both".into())
            }
            (None, None) => out.push("a document needs [reply] or [text]".into()),
        }
        out
    }
}

impl Document {
    /// Problems of an unprofiled page's variant: one is needed exactly when
    /// the layout is [`Layout::Unprofiled`]; a title shown only in the
    /// body (centred, or as the first line) must be the body's first line;
    /// a variant lists its warnings, and names each one's field.
    fn variant_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        match (&self.variant, self.layout) {
            (None, Layout::Unprofiled) => {
                out.push("an `unprofiled` page needs a [variant]".into());
            }
            (Some(_), layout) if layout != Layout::Unprofiled => {
                out.push("a [variant] describes only an `unprofiled` page".into());
            }
            (Some(variant), _) => {
                if matches!(variant.title, TitleMarkup::Centred | TitleMarkup::FirstLine)
                    && self
                        .lines_as(Layout::Unprofiled)
                        .first()
                        .map(String::as_str)
                        != Some(self.title())
                {
                    out.push(format!(
                        "a title shown as the body's first line must be it: `{}`",
                        self.title()
                    ));
                }
                if self.is_reply() && variant.warnings.is_empty() {
                    out.push("a reply on an unprofiled page carries the warnings of the fallbacks it needs".into());
                }
                if variant
                    .warnings
                    .iter()
                    .any(|w| w.field.is_empty() || w.message.is_empty())
                {
                    out.push("each warning names its field and says something".into());
                }
            }
            (None, _) => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::corpus;
    use crate::spec::{Layout, TitleMarkup};

    #[test]
    fn an_unprofiled_page_needs_a_variant_whose_body_title_is_its_first_line() {
        let sound = corpus()
            .into_iter()
            .find(|d| d.layout == Layout::Unprofiled && d.is_reply())
            .expect("an unprofiled reply");
        assert!(sound.problems().is_empty(), "{:?}", sound.problems());

        let mut without = sound.clone();
        without.variant = None;
        assert!(without
            .problems()
            .iter()
            .any(|p| p.contains("needs a [variant]")));

        let mut elsewhere = sound.clone();
        elsewhere.layout = Layout::Current;
        assert!(elsewhere
            .problems()
            .iter()
            .any(|p| p.contains("describes only")));

        let mut silent = sound.clone();
        if let Some(v) = silent.variant.as_mut() {
            v.warnings.clear();
        }
        assert!(silent
            .problems()
            .iter()
            .any(|p| p.contains("carries the warnings")));

        // A banner or doc number line before the title: the title is not
        // the body's first line.
        let banner_first = corpus()
            .into_iter()
            .find(|d| {
                d.layout == Layout::Unprofiled
                    && d.reply.as_ref().is_some_and(|r| r.doc_number.is_some())
            })
            .expect("an unprofiled reply with a doc number");
        let mut first_line = banner_first.clone();
        if let Some(v) = first_line.variant.as_mut() {
            v.title = TitleMarkup::FirstLine;
        }
        assert!(first_line
            .problems()
            .iter()
            .any(|p| p.contains("must be it")));
    }
}
