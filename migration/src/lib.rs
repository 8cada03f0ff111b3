#![allow(elided_lifetimes_in_paths)]
#![allow(clippy::wildcard_imports)]
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_foundation;
mod m20261125_000002_requests;
mod m20261125_000003_submissions;
mod m20261125_000004_perso_data;
mod m20261125_000005_counter_indexes;
mod m20261125_000006_perso_runs;
mod m20261125_000007_bast;
mod m20261126_000008_card_list_file;
mod m20261126_000009_requests_follow_submissions;
mod m20261127_000010_throttle_hits;
mod m20261127_000011_station_operators;
mod m20261128_000012_request_search;
mod m20261128_000013_handover_indexes;
mod m20261129_000021_faq_entries;
mod m20261129_000022_whatsapp_number;
mod m20261129_000031_report_indexes;
mod m20261130_000041_password_setups;
mod m20261130_000042_audit_actor_index;
mod m20261130_000043_activations;
mod m20261130_000044_activation_reply_number;
mod m20261201_000045_activation_documents;
mod m20261207_000046_card_index_diet;
mod m20261207_000047_request_tallies;
mod m20261207_000048_sign_in_generation;
mod m20261207_000049_search_index_without_pending_list;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261125_000002_requests::Migration),
            Box::new(m20261125_000003_submissions::Migration),
            Box::new(m20261125_000004_perso_data::Migration),
            Box::new(m20261125_000005_counter_indexes::Migration),
            Box::new(m20261125_000006_perso_runs::Migration),
            Box::new(m20261125_000007_bast::Migration),
            Box::new(m20261126_000008_card_list_file::Migration),
            Box::new(m20261126_000009_requests_follow_submissions::Migration),
            Box::new(m20261127_000010_throttle_hits::Migration),
            Box::new(m20261127_000011_station_operators::Migration),
            Box::new(m20261128_000012_request_search::Migration),
            Box::new(m20261128_000013_handover_indexes::Migration),
            Box::new(m20261129_000021_faq_entries::Migration),
            Box::new(m20261129_000022_whatsapp_number::Migration),
            Box::new(m20261129_000031_report_indexes::Migration),
            Box::new(m20261130_000041_password_setups::Migration),
            Box::new(m20261130_000042_audit_actor_index::Migration),
            Box::new(m20261130_000043_activations::Migration),
            Box::new(m20261130_000044_activation_reply_number::Migration),
            Box::new(m20261201_000045_activation_documents::Migration),
            Box::new(m20261207_000046_card_index_diet::Migration),
            Box::new(m20261207_000047_request_tallies::Migration),
            Box::new(m20261207_000048_sign_in_generation::Migration),
            Box::new(m20261207_000049_search_index_without_pending_list::Migration),
        ]
    }
}
