//! One conformance suite for `dynamodb-sessions` backends.
//!
//! Every backend must pass the same cases: the [`Backend`](dynamodb_sessions_core::store::Backend)
//! contract method by method, then the whole session state machine through
//! the manager on a manual clock, hostile cookies, concurrency, corrupt
//! records, sealed records changed or moved in the store, the store calls
//! each kind of request costs, and the promises of the read cache in front
//! of the backend. A backend that passes behaves like DynamoDB as far as
//! sessions can tell.
//!
//! A backend gets every case, each reported as its own test, from one line
//! in a test file, given a [`Harness`] that makes fresh stores:
//!
//! ```ignore
//! dynamodb_sessions_conformance::conformance_suite!(Some(MyHarness::new()));
//! ```
//!
//! The crate depends on `dynamodb-sessions-core` only, so a backend of your
//! own runs the suite without compiling any DynamoDB client. The harnesses
//! of the two bundled backends live with this repository's own tests.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod backend_cases;
pub mod cache_cases;
pub mod concurrency_cases;
pub mod cookie_cases;
pub mod corruption_cases;
pub mod cost_cases;
pub mod degraded_cases;
pub mod fixture;
mod harness;
mod held_loads;
pub mod interleavings;
mod lost_answers;
pub mod sealing_cases;
pub mod session_cases;
pub mod turn_cases;

pub use harness::{Corruption, Harness};

/// Emits one `#[test]` per conformance case for the harness `$harness`, an
/// expression of type `Option<H>` where `H: Harness`, evaluated afresh in
/// each test. `None` means the backend is not available here: the test
/// returns at once, so the harness must say loudly why (and must not return
/// `None` in CI).
///
/// ```ignore
/// // tests/memory.rs
/// use dynamodb_sessions_conformance::{conformance_suite, MemoryHarness};
///
/// conformance_suite!(Some(MemoryHarness));
/// ```
#[macro_export]
macro_rules! conformance_suite {
    ($harness:expr) => {
        $crate::conformance_suite!(@cases $harness;
            backend_cases::create_then_load,
            backend_cases::create_refuses_an_existing_key,
            backend_cases::replace_at_the_expected_version,
            backend_cases::replace_with_a_stale_version_conflicts,
            backend_cases::replace_of_a_missing_record_conflicts,
            backend_cases::touch_updates_only_the_times,
            backend_cases::touch_of_a_missing_record_creates_nothing,
            backend_cases::touch_past_the_size_limit_is_refused,
            backend_cases::end_present_and_absent,
            backend_cases::load_of_a_missing_key,
            backend_cases::load_of_an_ended_key,
            backend_cases::item_size_limit,
            backend_cases::data_round_trips,
            backend_cases::keys_differing_in_one_byte,
            session_cases::new_untouched_session_writes_nothing,
            session_cases::new_session_with_data_is_created,
            session_cases::new_sessions_get_distinct_ids,
            session_cases::unchanged_session_inside_the_reissue_window,
            session_cases::unchanged_session_past_the_reissue_window_is_touched,
            session_cases::changed_session_is_replaced,
            session_cases::reads_and_no_op_changes_do_not_write,
            session_cases::explicit_changes_write,
            session_cases::concurrent_change_is_a_conflict,
            session_cases::invalidate_ends_the_record_and_expires_the_cookie,
            session_cases::invalidate_twice_still_ends_the_record,
            session_cases::invalidate_then_data_starts_a_new_session,
            session_cases::regenerate_id_moves_the_data,
            session_cases::idle_expiry_at_the_timeout_boundary,
            session_cases::expired_session_read_only_writes_nothing,
            session_cases::absolute_lifetime_ends_active_sessions,
            session_cases::flash_shows_once_across_requests,
            session_cases::csrf_token_across_requests,
            session_cases::oversized_session_is_refused_before_writing,
            session_cases::read_your_writes_when_eventual_reads_lag,
            session_cases::reissue_after_a_change_elsewhere_sets_no_cookie,
            session_cases::json_records_load,
            session_cases::json_mode_writes_json_text,
            session_cases::json_tombstone_replay_costs_one_eventual_read,
            session_cases::session_expiring_during_the_request_is_not_written,
            session_cases::absolute_lifetime_cannot_be_extended,
            session_cases::default_absolute_lifetime_ends_active_sessions,
            session_cases::empty_new_session_is_not_stored,
            session_cases::expired_looking_eventual_read_is_confirmed,
            cookie_cases::malformed_cookies_are_no_session,
            cookie_cases::unknown_session_ids_are_never_adopted,
            cookie_cases::cookie_found_among_others,
            concurrency_cases::concurrent_increments_lose_no_update,
            concurrency_cases::update_racing_invalidate_never_resurrects,
            concurrency_cases::login_racing_logout_or_change_is_a_conflict,
            concurrency_cases::logout_through_an_old_id_follows_the_login,
            backend_cases::replace_with_a_tombstone_at_version,
            corruption_cases::undecodable_data_starts_a_new_session,
            corruption_cases::malformed_items_start_a_new_session,
            sealing_cases::sealed_records_hide_the_data,
            sealing_cases::records_load_by_format_and_setting,
            sealing_cases::planted_plain_cbor_loads_only_when_accepted,
            sealing_cases::tampered_sealed_data_starts_a_new_session,
            sealing_cases::sealed_data_swapped_between_records_starts_a_new_session,
            sealing_cases::sealed_record_moved_to_another_key_starts_a_new_session,
            sealing_cases::old_sealed_data_under_a_newer_version_starts_a_new_session,
            sealing_cases::sealed_session_at_exactly_the_size_limit,
            sealing_cases::moved_exp_still_ends_at_the_absolute_lifetime,
            cost_cases::store_calls_per_request_kind,
            cache_cases::cache_serves_reads_within_the_staleness_bound,
            cache_cases::cache_newer_cookie_reads_the_store,
            cache_cases::cache_shows_this_process_writes_at_once,
            cache_cases::cache_stale_record_conflicts_never_loses_an_update,
            cache_cases::cache_drops_the_record_on_a_write_error,
            cache_cases::cache_never_keeps_a_read_a_logout_overtook,
            cache_cases::cache_sees_another_process_logout_within_the_bound,
            cache_cases::cache_hits_are_checked_for_expiry,
            cache_cases::cache_coalesces_concurrent_loads,
            cache_cases::cache_waiters_stop_waiting_at_their_bound,
            cache_cases::cache_waiters_survive_a_failed_or_panicking_leader,
            cache_cases::cache_waiters_never_take_an_answer_older_than_the_bound,
            degraded_cases::a_failed_reissue_is_counted,
            degraded_cases::a_logout_stands_when_its_new_data_cannot_be_stored,
            degraded_cases::a_logout_stands_when_its_new_data_is_too_large,
            turn_cases::writers_taking_turns_never_conflict,
            turn_cases::readers_never_wait_for_a_turn,
            turn_cases::a_dropped_session_gives_its_turn_back,
        );
    };
    (@cases $harness:expr; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                if let Some(harness) = $harness {
                    $crate::$module::$case(&harness);
                }
            }
        )*
    };
}
