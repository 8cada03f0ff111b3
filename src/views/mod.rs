//! View helpers: the layout context every page shares and the Tera filters.
pub mod filters;
pub mod layout;
