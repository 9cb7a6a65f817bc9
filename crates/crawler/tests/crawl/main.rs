//! The crawler against real servers: the fixture portal (and, for what it
//! does not do, a small scriptable portal) on port 0, and a fresh store.

mod backfill;
mod content;
mod hostile;
mod leases;
mod limits;
mod moving;
mod polling;
mod resume;
mod revisits;
mod robots;
mod run;
mod support;
