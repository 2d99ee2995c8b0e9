//! `call` and `refused` for a function's handler tests, declared once for every function.

/// Declares, in a function's handler tests, the two ways its tests send an event to the
/// handler `$handle` (`shared::handler_test_helpers!(tarabut_sync::handle);` at the top of
/// `tests/handler.rs`):
///
/// - `call(&env, &event) -> Answer`: the handler's answer, read (failing on any secret in it);
/// - `refused(&env, event, status) -> Value`: a bad request, answered with a `status`
///   problem (returned) and not one item of the table changed.
///
/// Both work on any [`TestEnv`](crate::testkit::TestEnv), in memory or on DynamoDB.
#[macro_export]
macro_rules! handler_test_helpers {
    ($handle:path) => {
        /// Sends `event` to the handler and reads its answer.
        #[allow(dead_code)]
        async fn call<T: $crate::testkit::TestTable>(
            env: &$crate::testkit::TestEnv<T>,
            event: &$crate::testkit::Event,
        ) -> $crate::testkit::Answer {
            let response = $handle(&env.state, event.request())
                .await
                .expect("the handler answers every request");
            $crate::testkit::Answer::read(response)
        }

        /// A bad request: a `status` problem, and not one item of the table changed.
        #[allow(dead_code)]
        async fn refused<T: $crate::testkit::TestTable>(
            env: &$crate::testkit::TestEnv<T>,
            event: $crate::testkit::Event,
            status: u16,
        ) -> $crate::testkit::Json {
            $crate::testkit::refused_without_change(
                env,
                |e| async move { call(env, &e).await },
                event,
                status,
            )
            .await
        }
    };
}
