//! The parser's verdict on a page read: a reply, something else (and why),
//! or a reply missing a field no record can do without.

use crate::document::{Document, Label};
use crate::html::{Container, PageDom};
use crate::semantics::{self, TitleGenre};

/// The parser's verdict before the record is built.
pub(crate) enum Decision {
    /// The page is a reply with a title and a body.
    Reply,
    /// The page is something else; why.
    NotAReply(String),
    /// The page looks like a reply but lacks a required field.
    Missing {
        /// The missing field.
        field: &'static str,
        /// What was looked for.
        reason: String,
    },
}

/// Whether the page is a reply, decided by its features: a title that ends
/// like a reply (`…的答复`, `…会办意见`); or one that speaks of a suggestion
/// or proposal, with the reply formula (`…收悉`, `答复如下`, a `办理结果`) or
/// an addressee; or the formula and an addressee together. A handling
/// document about one proposal (`…提案的办理意见`, `…建议办理情况的报告`)
/// needs both. And whatever the title, a reply answers a deputy's
/// suggestion or a member's proposal: a page whose title, addressee and
/// opening say it answers something else (an application for government
/// information, a 区长信箱 letter, a 12345 call), or name no suggestion,
/// proposal, deputy, member or meeting at all, is not one.
pub(crate) fn decide(
    title: Option<&str>,
    doc: &Document,
    dom: &PageDom,
    had_lines: bool,
    info: &[(Label, String)],
) -> Decision {
    let genre = title.map_or(TitleGenre::Unknown, semantics::title_genre);
    let has_text = doc
        .sections
        .iter()
        .any(|s| !s.paragraphs.is_empty() || s.heading.is_some());
    let opening = doc.opening();
    let formula = doc
        .sections
        .iter()
        .flat_map(|s| &s.paragraphs)
        .take(3)
        .any(|p| semantics::has_formula(p))
        || doc
            .labels
            .iter()
            .chain(info)
            .any(|(l, v)| *l == Label::HandlingResult && !v.is_empty());
    let addressee = doc.addressee.is_some();
    let title_text = title.unwrap_or("(none)");

    if genre == TitleGenre::Other {
        return Decision::NotAReply(format!(
            "the title `{title_text}` names a notice or other document, not a reply"
        ));
    }
    if genre == TitleGenre::Handling && !(formula && addressee) {
        return Decision::NotAReply(format!(
            "the title `{title_text}` names a handling document (办理意见, 办理情况的报告) and the text lacks {}",
            if addressee {
                "a reply formula (…收悉, 答复如下, 办理结果)"
            } else {
                "an addressee"
            }
        ));
    }
    let looks_like_reply = genre == TitleGenre::Reply
        || genre == TitleGenre::Handling
        || (title.is_some_and(semantics::mentions_proposal) && (formula || addressee))
        || (formula && addressee);
    if !looks_like_reply {
        let reason = if !had_lines {
            format!("the page holds no text and its title `{title_text}` names no reply")
        } else {
            format!(
                "the title `{title_text}` names no reply and the text has {}",
                match (formula, addressee) {
                    (false, false) => "neither an addressee nor a reply formula (…收悉, 答复如下, 办理结果)",
                    (true, false) => "a reply formula but no addressee",
                    (false, true) => "an addressee but no reply formula",
                    (true, true) => "an addressee and a reply formula but no mention of a suggestion or proposal",
                }
            )
        };
        return Decision::NotAReply(reason);
    }
    match semantics::what_it_answers(title, doc.addressee.as_deref(), opening) {
        semantics::Answers::Proposal => {}
        semantics::Answers::Other { what, evidence } => {
            return Decision::NotAReply(format!(
                "the page answers {what}, not a deputy's suggestion or a member's proposal: {evidence}"
            ));
        }
        // Without text, nothing says what a reply-like title answers; the
        // missing body is the page's fault to report.
        semantics::Answers::Unknown if opening.is_some() => {
            return Decision::NotAReply(format!(
                "the page replies to something, but neither its title `{title_text}`, its addressee nor its opening names a suggestion, proposal, deputy, member or meeting"
            ));
        }
        semantics::Answers::Unknown => {}
    }
    if !has_text || doc.sections.iter().all(|s| s.paragraphs.is_empty()) {
        return Decision::Missing {
            field: "body",
            reason: match &dom.container {
                Container::None => "no element of the page holds text".to_string(),
                Container::Profile(sel) | Container::Detected(sel) => {
                    format!("the body container `{sel}` holds no paragraphs")
                }
            },
        };
    }
    Decision::Reply
}
