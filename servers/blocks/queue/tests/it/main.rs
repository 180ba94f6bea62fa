//! Integration tests of omega-queue: one behaviour suite run against both backends, plus
//! backend-specific crash and connection tests.

/// Declares one `#[tokio::test]` per behaviour of [`suite`], each built with `$harness::new()`.
macro_rules! behaviour_tests {
    ($harness:ty) => {
        behaviour_tests!(@each $harness, at_least_once_and_ack, duplicates_are_refused,
            lease_expiry_redelivers_to_another_consumer, extend_lease_keeps_the_message_hidden,
            nack_retries_with_exponential_backoff, dead_letters_after_max_attempts_with_reasons,
            depth_and_lag, done_markers_skip_reprocessing, bad_input_is_refused,
            concurrent_consumers_get_each_message_once);
    };
    (@each $harness:ty, $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let h = <$harness>::new().await;
                crate::suite::$name(h.queue(), &h.name).await;
                h.cleanup().await;
            }
        )*
    };
}

mod embedded;
mod redis;
mod suite;
