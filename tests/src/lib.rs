//! Helpers shared by the golden-vector replay tests.
