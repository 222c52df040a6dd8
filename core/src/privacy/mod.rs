//! Privacy.
