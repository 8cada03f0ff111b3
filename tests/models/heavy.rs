//! Heavy work (hashing, workbooks, documents) yields the CPU to pages.
use sifilma::models::heavy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_work_runs_below_the_threads_that_serve_pages() {
    let page = heavy::niceness_of_this_thread();
    for _ in 0..4 {
        let worked_at = heavy::run(heavy::niceness_of_this_thread).await.unwrap();
        assert!(worked_at >= heavy::NICE.max(page), "heavy work at niceness {worked_at}");
    }
    // Password hashing goes the same way.
    let hashed_at = sifilma::models::users::hashing(heavy::niceness_of_this_thread).await.unwrap();
    assert!(hashed_at >= heavy::NICE.max(page));
    assert_eq!(heavy::niceness_of_this_thread(), page, "the async thread keeps its priority");
}
