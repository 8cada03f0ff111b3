//! Reader-station tests without PC/SC: the agent over simulated readers.
mod agent;
