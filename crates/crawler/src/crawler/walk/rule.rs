//! The rules that end a walk before its list does: a poll's (a page of
//! known items, once past the page an interrupted walk had reached) and a
//! backfill's (the end of the list, or a page older than its range), with
//! what each walk records as it goes.

use chrono::NaiveDate;
use govwire_model::profile::SectionProfile;
use govwire_store::BackfillCursor;

use crate::crawler::StopReason;

/// What ends a walk before its list does, and where the walk records the
/// pages it completely handled so an interrupted one can be resumed.
pub(in crate::crawler) enum StopRule<'a> {
    /// A poll's walk: from the newest page, until a page of known items and
    /// the section's `overlap_pages` after it (everything newer has been
    /// seen), at most `max_pages`. Each page completely handled is recorded
    /// in `crawl_walks`. The first HTML list page is asked for conditionally
    /// unless an interrupted walk is being resumed, and its validators are
    /// stored once the walk recorded every new item.
    KnownItems {
        /// The first page an interrupted walk before this one had not
        /// completely handled: until the walk is there, a page of known
        /// items does not end it (0 when the last walk completed).
        must_reach: u32,
        /// Pages still to walk after the first page of known items.
        overlap_left: Option<u32>,
    },
    /// A backfill's walk: from the backfill cursor (one page before the
    /// page it points at, so items that moved down the list meanwhile are
    /// not missed) to the end of the list, fetching only items published in
    /// `since..=until`, until a page whose dated entries are all older than
    /// `since`. After each page the cursor is saved and `progress` called.
    EndOfList {
        /// First day of the range, if bounded.
        since: Option<NaiveDate>,
        /// Last day of the range, if bounded.
        until: Option<NaiveDate>,
        /// The backfill's cursor, moved on after every page.
        cursor: &'a mut BackfillCursor,
        /// Told of every page handled.
        progress: &'a mut (dyn FnMut(&BackfillProgress) + Send),
    },
}

impl<'a> StopRule<'a> {
    /// A poll's rule, resuming a walk interrupted before page `must_reach`.
    pub(in crate::crawler) fn known_items(must_reach: u32) -> Self {
        Self::KnownItems {
            must_reach,
            overlap_left: None,
        }
    }

    /// The pages the walk may visit.
    pub(super) fn pages(&self, section: &SectionProfile) -> std::ops::RangeInclusive<u32> {
        match self {
            Self::KnownItems { .. } => 1..=section.max_pages,
            Self::EndOfList { cursor, .. } => first_page(cursor)..=BACKFILL_MAX_PAGES,
        }
    }

    /// How list page `page` is asked for.
    pub(super) fn asks(&self, page: u32) -> Ask {
        match self {
            Self::KnownItems { must_reach, .. } => Ask {
                // A walk resuming an interrupted one asks unconditionally:
                // the first page may be unchanged while pages behind it
                // were never walked.
                conditionally: page == 1 && *must_reach <= 1,
                keeping_validators: page == 1,
            },
            Self::EndOfList { .. } => Ask {
                conditionally: false,
                keeping_validators: false,
            },
        }
    }

    /// The date range entries must be in to be fetched, if any.
    pub(super) fn range(&self) -> Option<(Option<NaiveDate>, Option<NaiveDate>)> {
        match self {
            Self::KnownItems { .. } => None,
            Self::EndOfList { since, until, .. } => Some((*since, *until)),
        }
    }

    /// Why the walk ends after list page `page`, handled as `handled` says,
    /// if it does.
    pub(super) fn after_page(
        &mut self,
        page: u32,
        handled: &HandledPage,
        section: &SectionProfile,
    ) -> Option<StopReason> {
        match self {
            Self::KnownItems {
                must_reach,
                overlap_left,
            } => {
                match overlap_left.as_mut() {
                    None if handled.new == 0 && handled.known > 0 && page >= *must_reach => {
                        *overlap_left = Some(section.overlap_pages);
                    }
                    Some(left) => *left = left.saturating_sub(1),
                    None => {}
                }
                (*overlap_left == Some(0)).then_some(StopReason::KnownItems)
            }
            Self::EndOfList { .. } => (handled.dated > 0 && handled.older == handled.dated)
                .then_some(StopReason::OlderThanRange),
        }
    }
}

/// How the entries of one list page were handled.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct HandledPage {
    /// Entries not known before, fetched.
    pub(super) new: u32,
    /// Entries known already (in the store, or met earlier in this walk).
    pub(super) known: u32,
    /// Entries with a publication date.
    pub(super) dated: u32,
    /// Dated entries older than the range.
    pub(super) older: u32,
}

/// How a list page is asked for (both apply to HTML lists only).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ask {
    /// With the validators stored for its URL.
    pub(super) conditionally: bool,
    /// Keeping the validators it comes with, for the next walk.
    pub(super) keeping_validators: bool,
}

/// Most list pages one backfill walks: far past any real portal's history
/// (the list API caps its total at 10 000 items), so only a list that never
/// ends reaches it.
pub(in crate::crawler) const BACKFILL_MAX_PAGES: u32 = 100_000;

/// How far a backfill has got, reported after every list page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillProgress {
    /// The section being walked.
    pub section: String,
    /// The list page just handled.
    pub page: u32,
    /// How many pages the portal claims the list has (its `totalPage`):
    /// a hint for a progress bar, never trusted to end the walk.
    pub pages_hint: Option<u64>,
    /// List entries in the date range seen so far (over every run of this
    /// backfill).
    pub items_seen: u64,
    /// Entries not known before, fetched so far (over every run).
    pub new_items: u64,
}

/// The first list page a backfill walks: one before the page its cursor
/// points at, so items that moved down the list since the last page was
/// handled are not missed.
pub(in crate::crawler) fn first_page(cursor: &BackfillCursor) -> u32 {
    cursor.next_page.saturating_sub(1).max(1)
}
