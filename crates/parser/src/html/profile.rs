//! A profile's `detail` section compiled for reading pages, once per thread.

use std::cell::RefCell;
use std::rc::Rc;

use govwire_model::profile::DetailProfile;

use super::chrome::{boilerplate_of, Boilerplate};
use super::matcher::{is_element_local, ProfileSelector};
use crate::error::ParseError;

/// How many compiled profiles each thread keeps. A process reads a few
/// profiles; the bound only keeps profiles from piling up in a checker run
/// over many.
const PROFILE_CACHE_SIZE: usize = 16;

thread_local! {
    /// Profiles already compiled: a profile's selectors are parsed once per
    /// thread, not once per page.
    static COMPILED: RefCell<Vec<(DetailProfile, Rc<Compiled>)>> = const { RefCell::new(Vec::new()) };
}

/// A profile's `detail` section, ready to read pages with.
pub(super) struct Compiled {
    pub(super) title: ProfileSelector,
    pub(super) info: ProfileSelector,
    pub(super) info_cell: ProfileSelector,
    /// The body selectors in the profile's order, with their text.
    pub(super) body: Vec<(String, ProfileSelector)>,
    /// The strip selectors, one by one.
    pub(super) strip: Vec<ProfileSelector>,
    /// Whether every strip selector matches by the element alone (its
    /// name, id, classes), never by its place in the tree. Removing one
    /// element then cannot change what they match elsewhere, so they are
    /// applied in one walk.
    pub(super) strip_local: bool,
    /// Whether the title, metadata and body selectors all match by the
    /// element alone.
    pub(super) all_simple: bool,
    /// The links to attachments.
    pub(super) attachments: ProfileSelector,
    /// Whether every compound of the attachments selector names the `a`
    /// element.
    pub(super) attachments_are_links: bool,
    /// The profile's boilerplate lines and [`CHROME_LINES`].
    pub(super) boilerplate: Boilerplate,
}

impl Compiled {
    fn new(profile: &DetailProfile) -> Result<Self, ParseError> {
        let mut compiled = Self::parse(profile)?;
        compiled.attachments_are_links = compiled.attachments.simple.as_ref().is_some_and(|list| {
            list.iter().all(|c| {
                c.tag
                    .as_ref()
                    .is_some_and(|(_, lower)| *lower == html5ever::local_name!("a"))
            })
        });
        compiled.all_simple = [&compiled.title, &compiled.info]
            .into_iter()
            .chain(compiled.body.iter().map(|(_, s)| s))
            .all(|s| s.simple.is_some());
        Ok(compiled)
    }

    fn parse(profile: &DetailProfile) -> Result<Self, ParseError> {
        Ok(Self {
            title: ProfileSelector::parse(&profile.title)?,
            info: ProfileSelector::parse(&profile.info)?,
            info_cell: ProfileSelector::parse(&profile.info_cell)?,
            body: profile
                .body
                .iter()
                .map(|s| ProfileSelector::parse(s).map(|sel| (s.clone(), sel)))
                .collect::<Result<_, _>>()?,
            strip: profile
                .strip
                .iter()
                .map(|s| ProfileSelector::parse(s))
                .collect::<Result<_, _>>()?,
            strip_local: profile.strip.iter().all(|s| is_element_local(s)),
            all_simple: false,
            attachments: ProfileSelector::parse(&profile.attachments)?,
            attachments_are_links: false,
            boilerplate: boilerplate_of(profile),
        })
    }
}

/// The compiled form of `profile`, from this thread's cache when it has been
/// compiled before.
pub(super) fn compiled(profile: &DetailProfile) -> Result<Rc<Compiled>, ParseError> {
    let cached = COMPILED.with(|cache| {
        cache
            .borrow()
            .iter()
            .find(|(p, _)| p == profile)
            .map(|(_, c)| Rc::clone(c))
    });
    if let Some(compiled) = cached {
        return Ok(compiled);
    }
    let compiled = Rc::new(Compiled::new(profile)?);
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= PROFILE_CACHE_SIZE {
            cache.remove(0);
        }
        cache.push((profile.clone(), Rc::clone(&compiled)));
    });
    Ok(compiled)
}
