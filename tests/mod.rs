//! One test binary: request tests through the real router, model tests on a
//! fresh database each, and the headless-Chromium suite.
mod e2e;
mod models;
mod processes;
mod requests;
mod rig;
mod station;
mod support;
mod workers;
