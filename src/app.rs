use std::path::Path;

use async_trait::async_trait;
use axum::Router as AxumRouter;
use loco_rs::{
    app::{AppContext, Hooks, Initializer},
    bgworker::{BackgroundWorker, Queue},
    boot::{create_app, shutdown_signal, BootResult, ServeParams, StartMode},
    config::Config,
    controller::{
        middleware::{self, MiddlewareLayer, MiddlewareStackExt},
        AppRoutes,
    },
    environment::Environment,
    task::Tasks,
    Result,
};
use migration::Migrator;

use crate::{
    controllers, initializers,
    models::demo,
    settings::Settings,
    workers::{mail_delivery::MailDelivery, stations::Stations},
};

pub struct App;

#[async_trait]
impl Hooks for App {
    fn app_name() -> &'static str {
        env!("CARGO_CRATE_NAME")
    }

    fn app_version() -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    async fn boot(mode: StartMode, environment: &Environment, config: Config) -> Result<BootResult> {
        create_app::<Self, Migrator>(mode, environment, config).await
    }

    /// Settings are parsed once; a production config that asks for demo
    /// accounts refuses to boot.
    ///
    /// The pool is opened again (`models::pool::open`): on SQLite with the
    /// same settings on every connection and a short acquire timeout, on
    /// both engines without a ping for a connection in use.
    async fn after_context(ctx: AppContext) -> Result<AppContext> {
        let mut ctx = ctx;
        let db = crate::models::pool::open(&ctx.config.database).await?;
        let loco_pool = std::mem::replace(&mut ctx.db, db);
        loco_pool.close().await?;
        crate::models::schema::check(&ctx.db).await.map_err(|e| loco_rs::Error::string(&e))?;
        let settings = Settings::from_config(&ctx.config)?;
        Settings::compact(&mut ctx.config);
        settings.check_for(&ctx.environment)?;
        let stations = Stations::from_settings(&settings.stations).map_err(|e| loco_rs::Error::string(&e))?;
        ctx.shared_store.insert(stations);
        ctx.shared_store.insert(crate::models::imports::Slots::new(crate::models::imports::Slots::DEFAULT));
        if let Some(key) = settings.activation_key(&ctx.environment)? {
            ctx.shared_store.insert(key);
        }
        crate::mailers::set_base_url(&settings.public_url);
        ctx.shared_store.insert(std::sync::Arc::new(settings));
        Ok(ctx)
    }

    async fn initializers(_ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
        Ok(vec![Box::new(initializers::view_engine::ViewEngineInitializer)])
    }

    /// Loco's stack without `X-Powered-By`: the portal does not advertise
    /// what it runs on.
    fn middlewares(ctx: &AppContext) -> Vec<Box<dyn MiddlewareLayer>> {
        let mut stack = middleware::default_middleware_stack(ctx);
        stack.delete("powered_by");
        stack
    }

    /// The portal's own server loop (`src/server.rs`): a header-read
    /// timeout, a connection cap and graceful shutdown, which Loco's
    /// `axum::serve` cannot be given.
    async fn serve(app: AxumRouter, ctx: &AppContext, params: &ServeParams) -> Result<()> {
        let limits = Settings::get(ctx).server.clone();
        let port = u16::try_from(params.port).map_err(|_| loco_rs::Error::string(&format!("port {} is not a TCP port", params.port)))?;
        let listener = crate::server::listen(&params.binding, port, &limits).await?;
        crate::server::metrics::serve(ctx).await?;
        // A freshly restored or bulk-loaded database gets its planner
        // statistics now, not at autovacuum's next round.
        crate::models::pool::refresh_statistics(&ctx.db, &[]);
        crate::server::run(listener, app, &limits, async move {
            shutdown_signal().await;
            tracing::info!("shutting down: no new connections");
        })
        .await?;
        // Requests in flight are answered; now the background loops.
        Self::on_shutdown(ctx).await;
        Ok(())
    }

    fn routes(_ctx: &AppContext) -> AppRoutes {
        controllers::routes()
    }

    async fn after_routes(router: AxumRouter, ctx: &AppContext) -> Result<AxumRouter> {
        let router = router.layer(axum::middleware::from_fn(crate::server::metrics::track));
        Ok(controllers::session::layer(router, ctx))
    }

    /// Demo accounts are created on boot when `settings.seed_demo` is on, so
    /// the README's single start command shows a usable portal.
    async fn before_run(ctx: &AppContext) -> Result<()> {
        if ctx.shared_store.get::<crate::models::activations::ActivationKey>().is_none() {
            return Err(loco_rs::Error::string(
                "no activation key at settings.activation_key_path (ACTIVATION_KEY_PATH): create it once with `cargo loco task activation_key`, keep it secret and backed up",
            ));
        }
        if Settings::get(ctx).seed_demo {
            demo::seed(&ctx.db, &Settings::get(ctx).upload_dir).await.map_err(|e| loco_rs::Error::string(&e.to_string()))?;
        }
        Ok(())
    }

    async fn connect_workers(ctx: &AppContext, queue: &Queue) -> Result<()> {
        // Mails are swept from the outbox now; the worker stays registered
        // so delivery jobs queued by an older version still run.
        queue.register(MailDelivery::build(ctx)).await?;
        queue.register(crate::workers::documents::DocumentBuilder::build(ctx)).await?;
        MailDelivery::start_sweeper(ctx);
        crate::server::metrics::serve(ctx).await?;
        crate::models::pool::refresh_statistics(&ctx.db, &[]);
        let retention = Settings::get(ctx).retention.clone();
        if let Some(queue) = &ctx.config.queue {
            crate::models::job_queue::start_upkeep(queue, retention.finished_jobs_hours).await;
        }
        crate::models::housekeeping::start(&ctx.db, retention);
        // Station reports and expired leases are handled by worker processes.
        let stations = Stations::get(ctx);
        let cancel = crate::workers::shutdown_token();
        stations.start_consumer(&ctx.db, cancel.clone());
        stations.start_sweeper(&ctx.db, cancel);
        Ok(())
    }

    /// After the server drained (or, worker-only, on the signal): the mail
    /// sweeper hands back what it claimed and did not send, the station
    /// consumer finishes the report in hand. Loco then stops its queue
    /// worker after the job in hand.
    async fn on_shutdown(_ctx: &AppContext) {
        crate::workers::stop(std::time::Duration::from_secs(15)).await;
    }

    fn register_tasks(tasks: &mut Tasks) {
        crate::tasks::register(tasks);
    }

    async fn truncate(_ctx: &AppContext) -> Result<()> {
        Ok(())
    }

    async fn seed(ctx: &AppContext, _base: &Path) -> Result<()> {
        demo::seed(&ctx.db, &Settings::get(ctx).upload_dir).await.map_err(|e| loco_rs::Error::string(&e.to_string()))?;
        Ok(())
    }
}
