//! The suite's one list of cases, and the runner that runs them against a
//! backend.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use dynamodb_sessions_core::users::UserSessions;

use crate::{
    backend_cases, cache_cases, concurrency_cases, cookie_cases, corruption_cases, cost_cases,
    degraded_cases, sealing_cases, session_cases, turn_cases, Harness,
};

/// The environment variable that picks cases by name: when set, only the
/// cases whose name contains its value run. Name a user case with its
/// module (`user_cases::a_login`): the other list then runs none.
pub const CASE_FILTER_ENV: &str = "CONFORMANCE_CASE";

/// One case of the suite: a function that checks one promise on a
/// harness's fresh backends, named after the function.
pub struct Case<H> {
    name: &'static str,
    run: Box<dyn Fn(&H) + Send + Sync>,
}

impl<H> Case<H> {
    /// The case `run` checks. Its name is the function's path, so the list
    /// below cannot name a case after another function.
    fn new<F: Fn(&H) + Send + Sync + 'static>(run: F) -> Self {
        let full = std::any::type_name::<F>();
        let path = full.split('<').next().unwrap_or(full);
        let name = path
            .strip_prefix("dynamodb_sessions_conformance::")
            .unwrap_or(path);
        Case {
            name,
            run: Box::new(run),
        }
    }

    /// The case's name, e.g. `backend_cases::create_then_load`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the case; it panics when the backend breaks the promise.
    pub fn run(&self, harness: &H) {
        (self.run)(harness)
    }
}

impl<H> std::fmt::Debug for Case<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish()
    }
}

/// Every case of the suite, in one list. A unit test checks that every
/// public case function of the case modules is in it.
pub fn cases<H: Harness + 'static>() -> Vec<Case<H>> {
    vec![
        Case::new(backend_cases::create_then_load::<H>),
        Case::new(backend_cases::create_refuses_an_existing_key::<H>),
        Case::new(backend_cases::replace_at_the_expected_version::<H>),
        Case::new(backend_cases::replace_with_a_stale_version_conflicts::<H>),
        Case::new(backend_cases::replace_of_a_missing_record_conflicts::<H>),
        Case::new(backend_cases::touch_updates_only_the_times::<H>),
        Case::new(backend_cases::touch_of_a_missing_record_creates_nothing::<H>),
        Case::new(backend_cases::touch_past_the_size_limit_is_refused::<H>),
        Case::new(backend_cases::end_present_and_absent::<H>),
        Case::new(backend_cases::load_of_a_missing_key::<H>),
        Case::new(backend_cases::load_of_an_ended_key::<H>),
        Case::new(backend_cases::item_size_limit::<H>),
        Case::new(backend_cases::data_round_trips::<H>),
        Case::new(backend_cases::keys_differing_in_one_byte::<H>),
        Case::new(session_cases::new_untouched_session_writes_nothing::<H>),
        Case::new(session_cases::new_session_with_data_is_created::<H>),
        Case::new(session_cases::new_sessions_get_distinct_ids::<H>),
        Case::new(session_cases::unchanged_session_inside_the_reissue_window::<H>),
        Case::new(session_cases::unchanged_session_past_the_reissue_window_is_touched::<H>),
        Case::new(session_cases::changed_session_is_replaced::<H>),
        Case::new(session_cases::reads_and_no_op_changes_do_not_write::<H>),
        Case::new(session_cases::explicit_changes_write::<H>),
        Case::new(session_cases::concurrent_change_is_a_conflict::<H>),
        Case::new(session_cases::invalidate_ends_the_record_and_expires_the_cookie::<H>),
        Case::new(session_cases::invalidate_twice_still_ends_the_record::<H>),
        Case::new(session_cases::invalidate_then_data_starts_a_new_session::<H>),
        Case::new(session_cases::regenerate_id_moves_the_data::<H>),
        Case::new(session_cases::idle_expiry_at_the_timeout_boundary::<H>),
        Case::new(session_cases::expiry_margin_ends_sessions_before_exp::<H>),
        Case::new(session_cases::expired_session_read_only_writes_nothing::<H>),
        Case::new(session_cases::absolute_lifetime_ends_active_sessions::<H>),
        Case::new(session_cases::flash_shows_once_across_requests::<H>),
        Case::new(session_cases::csrf_token_across_requests::<H>),
        Case::new(session_cases::oversized_session_is_refused_before_writing::<H>),
        Case::new(session_cases::read_your_writes_when_eventual_reads_lag::<H>),
        Case::new(session_cases::reissue_after_a_change_elsewhere_sets_no_cookie::<H>),
        Case::new(session_cases::json_records_load::<H>),
        Case::new(session_cases::json_mode_writes_json_text::<H>),
        Case::new(session_cases::json_tombstone_replay_costs_one_eventual_read::<H>),
        Case::new(session_cases::session_expiring_during_the_request_is_not_written::<H>),
        Case::new(session_cases::absolute_lifetime_cannot_be_extended::<H>),
        Case::new(session_cases::default_absolute_lifetime_ends_active_sessions::<H>),
        Case::new(session_cases::empty_new_session_is_not_stored::<H>),
        Case::new(session_cases::expired_looking_eventual_read_is_confirmed::<H>),
        Case::new(session_cases::a_session_commits_only_through_its_manager::<H>),
        Case::new(cookie_cases::malformed_cookies_are_no_session::<H>),
        Case::new(cookie_cases::unknown_session_ids_are_never_adopted::<H>),
        Case::new(cookie_cases::cookie_found_among_others::<H>),
        Case::new(concurrency_cases::concurrent_increments_lose_no_update::<H>),
        Case::new(concurrency_cases::update_racing_invalidate_never_resurrects::<H>),
        Case::new(concurrency_cases::login_racing_logout_or_change_is_a_conflict::<H>),
        Case::new(concurrency_cases::logout_through_an_old_id_follows_the_login::<H>),
        Case::new(backend_cases::replace_with_a_tombstone_at_version::<H>),
        Case::new(corruption_cases::undecodable_data_starts_a_new_session::<H>),
        Case::new(corruption_cases::malformed_items_start_a_new_session::<H>),
        Case::new(sealing_cases::sealed_records_hide_the_data::<H>),
        Case::new(sealing_cases::records_load_by_format_and_setting::<H>),
        Case::new(sealing_cases::planted_plain_cbor_loads_only_when_accepted::<H>),
        Case::new(sealing_cases::tampered_sealed_data_starts_a_new_session::<H>),
        Case::new(sealing_cases::sealed_data_swapped_between_records_starts_a_new_session::<H>),
        Case::new(sealing_cases::sealed_record_moved_to_another_key_starts_a_new_session::<H>),
        Case::new(sealing_cases::old_sealed_data_under_a_newer_version_starts_a_new_session::<H>),
        Case::new(sealing_cases::sealed_session_at_exactly_the_size_limit::<H>),
        Case::new(sealing_cases::moved_exp_still_ends_at_the_absolute_lifetime::<H>),
        Case::new(cost_cases::store_calls_per_request_kind::<H>),
        Case::new(cache_cases::cache_serves_reads_within_the_staleness_bound::<H>),
        Case::new(cache_cases::cache_newer_cookie_reads_the_store::<H>),
        Case::new(cache_cases::cache_shows_this_process_writes_at_once::<H>),
        Case::new(cache_cases::cache_stale_record_conflicts_never_loses_an_update::<H>),
        Case::new(cache_cases::cache_drops_the_record_on_a_write_error::<H>),
        Case::new(cache_cases::cache_never_keeps_a_read_a_logout_overtook::<H>),
        Case::new(cache_cases::cache_sees_another_process_logout_within_the_bound::<H>),
        Case::new(cache_cases::cache_hits_are_checked_for_expiry::<H>),
        Case::new(cache_cases::cache_coalesces_concurrent_loads::<H>),
        Case::new(cache_cases::cache_waiters_stop_waiting_at_their_bound::<H>),
        Case::new(cache_cases::cache_waiters_survive_a_failed_or_panicking_leader::<H>),
        Case::new(cache_cases::cache_waiters_never_take_an_answer_older_than_the_bound::<H>),
        Case::new(degraded_cases::a_failed_reissue_is_counted::<H>),
        Case::new(degraded_cases::a_logout_stands_when_its_new_data_cannot_be_stored::<H>),
        Case::new(degraded_cases::a_logout_stands_when_its_new_data_is_too_large::<H>),
        Case::new(turn_cases::writers_taking_turns_never_conflict::<H>),
        Case::new(turn_cases::readers_never_wait_for_a_turn::<H>),
        Case::new(turn_cases::a_dropped_session_gives_its_turn_back::<H>),
    ]
}

/// The cases of users' sessions, for backends that offer [`UserSessions`]
/// (run them with [`run_user_suite`]), in one list.
pub fn user_cases<H>() -> Vec<Case<H>>
where
    H: Harness + 'static,
    H::Backend: UserSessions,
{
    vec![
        Case::new(crate::user_cases::a_login_attaches_the_user::<H>),
        Case::new(crate::user_cases::a_login_without_data_is_stored::<H>),
        Case::new(crate::user_cases::sessions_without_a_user_cost_nothing_more::<H>),
        Case::new(crate::user_cases::end_all_ends_every_session_of_the_user::<H>),
        Case::new(crate::user_cases::a_login_in_flight_is_ended::<H>),
        Case::new(crate::user_cases::a_stale_tab_cannot_revive_its_session::<H>),
        Case::new(crate::user_cases::end_others_keeps_only_this_session::<H>),
        Case::new(crate::user_cases::a_handle_ends_one_session::<H>),
        Case::new(crate::user_cases::the_cap_ends_the_least_recently_used::<H>),
        Case::new(crate::user_cases::a_manager_without_users_never_loads_a_user_session::<H>),
        Case::new(crate::user_cases::a_lost_end_says_so_and_a_retry_finishes_it::<H>),
    ]
}

/// Runs the [`user_cases`] (or those [`CASE_FILTER_ENV`] picks) on
/// `harness`, as [`run_suite`] runs the others; `None` skips them.
pub fn run_user_suite<H>(harness: Option<H>)
where
    H: Harness + Sync + 'static,
    H::Backend: UserSessions,
{
    let Some(harness) = harness else { return };
    run_filtered(&harness, user_cases());
}

/// Runs every case of the suite (or those [`CASE_FILTER_ENV`] picks) on
/// `harness`, a few at a time, each on its own fresh backends, and panics
/// naming every case that failed. Each case's panic message is printed as
/// it happens.
///
/// `None` means the backend cannot run here (say, DynamoDB Local needs
/// Java): the suite is skipped, so the harness must have said loudly why,
/// and must not return `None` in CI.
///
/// ```no_run
/// use dynamodb_sessions::store::StorageKey;
/// use dynamodb_sessions::testing::MemoryBackendTesting as _;
/// use dynamodb_sessions::MemoryBackend;
/// use dynamodb_sessions_conformance::{run_suite, Corruption, Harness};
///
/// struct Memory;
///
/// impl Harness for Memory {
///     type Backend = MemoryBackend;
///
///     fn fresh_backend(&self) -> MemoryBackend {
///         MemoryBackend::new()
///     }
///
///     fn put_corrupt(&self, backend: &MemoryBackend, key: &StorageKey, corruption: Corruption) {
///         backend.insert_corrupt(*key, &format!("{corruption:?}"));
///     }
/// }
///
/// // In a test: `#[test] fn conformance() { run_suite(Some(Memory)) }`.
/// run_suite(Some(Memory));
/// ```
///
/// # Panics
///
/// When any case fails, after all have run.
pub fn run_suite<H: Harness + Sync + 'static>(harness: Option<H>) {
    let Some(harness) = harness else { return };
    run_filtered(&harness, cases());
}

/// Runs those of `cases` that [`CASE_FILTER_ENV`] picks. A filter that
/// picks none fails, unless it names the other list's module (a filter of
/// `user_cases::` picks user cases only, and runs none of the others).
fn run_filtered<H: Harness + Sync>(harness: &H, cases: Vec<Case<H>>) {
    let filter = std::env::var(CASE_FILTER_ENV).unwrap_or_default();
    let users_list = cases
        .first()
        .is_some_and(|case| case.name().starts_with("user_cases::"));
    let cases: Vec<Case<H>> = cases
        .into_iter()
        .filter(|case| case.name().contains(filter.as_str()))
        .collect();
    let for_the_other_list = filter.contains("user_cases") != users_list;
    if cases.is_empty() {
        assert!(
            for_the_other_list,
            "no conformance case matches {CASE_FILTER_ENV}={filter:?}"
        );
        return;
    }
    run_cases(harness, &cases);
}

/// Runs `cases` on `harness`, a few at a time, and panics naming each that
/// failed.
fn run_cases<H: Harness + Sync>(harness: &H, cases: &[Case<H>]) {
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    let workers = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(case) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = panic::catch_unwind(AssertUnwindSafe(|| case.run(harness)));
                    println!(
                        "conformance case {} ... {}",
                        case.name(),
                        if outcome.is_ok() { "ok" } else { "FAILED" }
                    );
                    if outcome.is_err() {
                        failed
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(case.name());
                    }
                }
            });
        }
    });
    let mut failed = failed.into_inner().unwrap_or_else(|e| e.into_inner());
    failed.sort_unstable();
    assert!(
        failed.is_empty(),
        "{} of {} conformance cases failed: {}",
        failed.len(),
        cases.len(),
        failed.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use dynamodb_sessions::store::StorageKey;
    use dynamodb_sessions::MemoryBackend;

    use super::*;
    use crate::Corruption;

    struct Memory;

    impl Harness for Memory {
        type Backend = MemoryBackend;

        fn fresh_backend(&self) -> MemoryBackend {
            MemoryBackend::new()
        }

        fn put_corrupt(&self, _: &MemoryBackend, _: &StorageKey, _: Corruption) {}
    }

    /// The public case functions of a module's source: `pub fn name<H: Harness>`.
    fn case_functions(module: &str, source: &str) -> Vec<String> {
        source
            .lines()
            .filter_map(|line| line.strip_prefix("pub fn "))
            .filter_map(|rest| rest.split_once("<H: Harness>"))
            .map(|(name, _)| format!("{module}::{name}"))
            .collect()
    }

    #[test]
    fn every_case_function_is_listed_once() {
        let sources = [
            ("backend_cases", include_str!("backend_cases.rs")),
            ("cache_cases", include_str!("cache_cases.rs")),
            ("concurrency_cases", include_str!("concurrency_cases.rs")),
            ("cookie_cases", include_str!("cookie_cases.rs")),
            ("corruption_cases", include_str!("corruption_cases.rs")),
            ("cost_cases", include_str!("cost_cases.rs")),
            ("degraded_cases", include_str!("degraded_cases.rs")),
            ("sealing_cases", include_str!("sealing_cases.rs")),
            ("session_cases", include_str!("session_cases.rs")),
            ("turn_cases", include_str!("turn_cases.rs")),
            ("user_cases", include_str!("user_cases.rs")),
        ];
        let written: BTreeSet<String> = sources
            .iter()
            .flat_map(|(module, source)| case_functions(module, source))
            .collect();
        let all = cases::<Memory>().into_iter().chain(user_cases::<Memory>());
        let listed: Vec<&str> = all.map(|case| case.name()).collect();
        let listed_set: BTreeSet<String> = listed.iter().map(|name| name.to_string()).collect();
        assert_eq!(listed.len(), listed_set.len(), "a case is listed twice");
        assert_eq!(
            written, listed_set,
            "the list and the case functions differ"
        );
    }

    #[test]
    fn a_failing_case_fails_the_suite_by_name() {
        // `Memory` plants no corrupt items, so the case finds a well-formed
        // record where it expects an error.
        let cases: Vec<Case<Memory>> = cases()
            .into_iter()
            .filter(|case| case.name() == "corruption_cases::malformed_items_start_a_new_session")
            .collect();
        assert_eq!(cases.len(), 1);
        let failure = panic::catch_unwind(AssertUnwindSafe(|| run_cases(&Memory, &cases)))
            .expect_err("the suite fails");
        let message = failure.downcast_ref::<String>().expect("a message");
        assert!(
            message.contains("1 of 1 conformance cases failed: corruption_cases::malformed_items"),
            "{message}"
        );
    }
}
