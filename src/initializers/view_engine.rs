use async_trait::async_trait;
use axum::{Extension, Router as AxumRouter};
use loco_rs::{
    app::{AppContext, Initializer},
    controller::views::{engines, ViewEngine},
    Result,
};

use crate::views::filters;

pub struct ViewEngineInitializer;

#[async_trait]
impl Initializer for ViewEngineInitializer {
    fn name(&self) -> String {
        "view-engine".to_string()
    }

    async fn after_routes(&self, router: AxumRouter, _ctx: &AppContext) -> Result<AxumRouter> {
        let engine = engines::TeraView::build_with_post_process(|tera| {
            filters::register(tera);
            Ok(())
        })?;
        Ok(router.layer(Extension(ViewEngine::from(engine))))
    }
}
