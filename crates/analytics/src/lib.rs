//! The analytics subscriber: the big picture of the replies govwire has
//! seen, for researchers and supervisors: how many, from whom, how fast,
//! with what result.
//!
//! # What it consumes
//!
//! [`run`] consumes every reply event of every portal from `govwire.events`
//! (queue `<prefix>.analytics`, bound to `*.reply.*`:
//! `govwire.reply.published`, `updated`, `withdrawn`, `restored`) and
//! applies each with [`handle_event`] to a projection in the store
//! (`govwire_store`'s `analytics_*` tables): the current state of each reply
//! (the fields counted by), the words of its title, and a ledger of the
//! events applied.
//!
//! # Idempotency and order
//!
//! An event's effects are written in one transaction with its id in the
//! ledger, so a redelivered or republished event (same id) changes
//! nothing. Events may arrive out of order (one held while its store was
//! down, then redelivered): a reply's fields are taken only from a newer
//! record than the one held (a higher version, or the same version from a
//! later event), and its status (`withdrawn` / `active`) only from a
//! withdrawn or restored event later than the one that set it last. A
//! message that is not a reply event, whose subject is not its reply's id,
//! or whose reply has no version is dead-lettered (poison); a store error
//! requeues it, an unavailable store holds it until the store answers.
//!
//! # Title words
//!
//! The reply's title, and the proposal's own title when the record has one
//! (`proposal.subject`: reply titles are mostly formula, the proposal's
//! title says what was asked), are segmented with jieba; single
//! characters, numbers, numerals with their counters (`十五届`, `三次`) and
//! a built-in list of stop words ([`words::STOP_WORDS`]: the formula of
//! titles such as 关于, 答复, 代表, 会议, and the verbs proposals open with)
//! are left out.
//!
//! # Endpoints ([`api`])
//!
//! - `GET /analytics[?words=N]`: the aggregates as JSON (below), with the
//!   `N` most frequent title words (default 50, at most 1000).
//! - `GET /report`: the same as one self-contained HTML page in Chinese
//!   ([`report::render`]): totals and inline SVG charts (replies per month,
//!   handling results, issuers, signing-to-publication delay, updates and
//!   withdrawals per month), the make-up by reply kind, proposal kind,
//!   level, portal and meeting, and the top title words. No script, no
//!   external resource; readable on a phone.
//! - `GET /healthz`: `ok`.
//!
//! # The JSON of `GET /analytics`
//!
//! Every breakdown counts the replies analytics knows, withdrawn ones
//! included, each by its current record. A "count" is
//! `{"key": <value or null>, "count": <replies>}`, `null` standing for
//! replies whose record has no value; lists of counts are ordered most
//! first, then by value, `null` last.
//!
//! - `totals.replies`: distinct replies; `totals.active`: those still
//!   served by their portal; `totals.withdrawn`: those withdrawn (the
//!   newest withdrawn/restored event said so); `totals.events`: distinct
//!   events applied.
//! - `portals`: counts per portal short id (`shpt`).
//! - `published_months`: `[{"month": "YYYY-MM", "count"}]`, oldest first,
//!   by the month of `published_on` (发布日期); only months with replies.
//! - `published_unknown`: replies without a publication date.
//! - `result_categories`: counts per handling-result category
//!   (`adopted` 解决采纳, `partially_adopted` 部分采纳, `planned`
//!   列入计划解决, `for_reference` 留作参考, `cannot_solve`
//!   因条件限制无法解决; `null`: no result, or words outside the vocabulary).
//! - `reply_kinds`: counts per reply kind (`answer`, `co_handling_opinion`,
//!   `follow_up`).
//! - `proposal_kinds`: counts per kind of proposal answered
//!   (`deputy_suggestion`, `member_proposal`).
//! - `proposal_levels`: counts per level of the meeting (`municipal`,
//!   `district`).
//! - `meetings`: counts per meeting as written (`区十五届政协五次会议`).
//! - `issuers`: counts per issuing organ (发文机关), ranked.
//! - `delay`: days from `signed_on` (成文日期) to `published_on`:
//!   `with_dates` (replies with both dates), `without_dates` (replies
//!   missing either, not counted further), `negative` (published before
//!   signed: a date is wrong on the page; in no bucket), `median_days` and
//!   `p90_days` (nearest rank over `with_dates`; `null` when there are
//!   none), and `buckets`: `[{"min_days", "max_days", "count"}]` for 0–7,
//!   8–14, 15–30, 31–60, 61–90 and over 90 days (`max_days` `null`).
//! - `event_months`: `[{"month", "published", "updated", "withdrawn",
//!   "restored"}]`, oldest first: events applied per month of the event's
//!   time (China Standard Time) and type.
//! - `title_words`: `[{"word", "count", "replies"}]`: occurrences over all
//!   current titles and the number of replies whose title holds the word,
//!   most occurrences first.
//!
//! # Configuration
//!
//! [`AnalyticsConfig`] is the `[analytics]` section of `govwire.toml`,
//! turned into the [`AnalyticsSettings`] [`run`] takes.

pub mod api;
pub mod report;
mod service;
pub mod words;

pub use service::{handle_event, run, AnalyticsConfig, AnalyticsSettings, QUEUES};
