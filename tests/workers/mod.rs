//! Background paths: station batches and reports through a real Redis.
mod stations;
