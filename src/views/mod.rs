//! View helpers: the layout context every page shares and the Tera filters.
pub mod charts;
pub mod filters;
pub mod layout;
