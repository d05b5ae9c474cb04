//! End-to-end: the demo app on tiny_http and on rouille, sessions in
//! MemoryBackend, driven over real HTTP by a client that keeps cookies.

use crate::support;

use dynamodb_sessions::{http::TrustForwardedProto, MemoryBackend, MemoryLimits};
use dynamodb_sessions::{SessionConfig, SessionManager};
use support::{Demo, ServerKind};

fn memory() -> Option<impl Fn(SessionConfig) -> SessionManager> {
    Some(|config| support::demo_manager(MemoryBackend::new(), config))
}

#[test]
fn scenarios_on_tiny_http() {
    support::cases::run_all(ServerKind::TinyHttp, memory());
}

#[test]
fn scenarios_on_rouille() {
    support::cases::run_all(ServerKind::Rouille, memory());
}

/// A store that takes no more new sessions: the demo answers 503 with
/// `Retry-After` (busy or full is worth a retry), not 500 (broken).
#[test]
fn a_full_store_answers_503_with_retry_after() {
    for kind in [ServerKind::TinyHttp, ServerKind::Rouille] {
        let backend = MemoryBackend::with_limits(MemoryLimits::DEFAULT.max_sessions(10));
        let manager = support::demo_manager(backend, SessionConfig::default());
        let demo = Demo::start(kind, manager, TrustForwardedProto::No);
        // Each new browser's first visit creates a session.
        let statuses: Vec<u16> = (0..12).map(|_| demo.browser().get("/").status).collect();
        assert_eq!(statuses[0], 200, "{kind:?}: {statuses:?}");
        assert!(
            statuses.iter().all(|status| [200, 503].contains(status)),
            "{kind:?}: {statuses:?}"
        );
        let refused = demo.browser().get("/");
        assert_eq!(refused.status, 503, "{kind:?}: {}", refused.body);
        assert_eq!(refused.retry_after.as_deref(), Some("1"), "{kind:?}");
        assert!(
            refused.set_cookies.is_empty(),
            "{kind:?}: no session, no cookie"
        );
    }
}

mod demo_options {
    use super::support::options::{Options, DEFAULT_TABLE};

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Options, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Options::parse(args.iter().map(|a| (*a).to_owned()), move |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn memory_on_port_8080_by_default() {
        let options = parse(&[], &[]).unwrap();
        assert_eq!(options.port, 8080);
        assert!(!options.uses_dynamodb());
        assert_eq!(options.table_name(), None);
        let (_, store) = options.manager().unwrap();
        assert_eq!(store, "sessions in memory");
    }

    #[test]
    fn dynamodb_by_flag_or_environment() {
        let flags = parse(
            &[
                "--table",
                "t1",
                "--endpoint=http://127.0.0.1:9",
                "--port",
                "0",
                "--create-table",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(flags.port, 0);
        assert_eq!(flags.table_name(), Some("t1"));
        assert_eq!(flags.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        assert!(flags.create_table);

        let env = parse(
            &[],
            &[
                ("DEMO_TABLE", "t2"),
                ("AWS_ENDPOINT_URL_DYNAMODB", "http://x:1"),
            ],
        )
        .unwrap();
        assert_eq!(env.table_name(), Some("t2"));
        assert_eq!(env.endpoint.as_deref(), Some("http://x:1"));
        let endpoint_only = parse(&[], &[("AWS_ENDPOINT_URL_DYNAMODB", "http://x:1")]).unwrap();
        assert_eq!(endpoint_only.table_name(), Some(DEFAULT_TABLE));
        let flag_wins = parse(&["--table", "t3"], &[("DEMO_TABLE", "t2")]).unwrap();
        assert_eq!(flag_wins.table_name(), Some("t3"));
    }

    #[test]
    fn cookie_and_proxy_settings() {
        let options = parse(
            &["--secure", "--max-age", "60", "--trust-forwarded-proto"],
            &[],
        )
        .unwrap();
        let config = options.session_config().unwrap();
        assert_eq!(config.secure(), dynamodb_sessions::Secure::Always);
        assert_eq!(config.max_age(), Some(std::time::Duration::from_secs(60)));
        assert_eq!(
            options.trust(),
            dynamodb_sessions::http::TrustForwardedProto::Yes
        );
        let plain = parse(&[], &[]).unwrap().session_config().unwrap();
        assert_eq!(plain, dynamodb_sessions::SessionConfig::default());
    }

    #[test]
    fn same_site_cookie_name_and_reissue_settings() {
        use dynamodb_sessions::SameSite;
        let options = parse(
            &[
                "--same-site",
                "lax",
                "--cookie-name",
                "__Host-sid",
                "--secure",
                "--reissue-time=0",
            ],
            &[],
        )
        .unwrap();
        let config = options.session_config().unwrap();
        assert_eq!(config.same_site(), Some(SameSite::Lax));
        assert_eq!(config.cookie_name(), "__Host-sid");
        assert_eq!(config.reissue_time(), std::time::Duration::ZERO);
        let omitted = parse(&["--same-site", "omit"], &[]).unwrap();
        assert_eq!(omitted.session_config().unwrap().same_site(), None);
        // The library's own rules still apply: __Host- needs Secure.
        let insecure = parse(&["--cookie-name", "__Host-sid"], &[]).unwrap();
        assert!(insecure.session_config().is_err());
    }

    #[test]
    fn bad_arguments_are_refused() {
        for args in [
            &["--port"][..],
            &["--port", "x"],
            &["--max-age", "-1"],
            &["--same-site", "sometimes"],
            &["--reissue-time", "soon"],
            &["--nope"],
        ] {
            assert!(parse(args, &[]).is_err(), "{args:?}");
        }
        assert!(parse(&["--help"], &[]).unwrap().help);
    }

    #[test]
    fn an_unreachable_table_fails_at_start() {
        // Nothing listens on port 9; the start-up read fails instead of the
        // first request.
        let options = parse(
            &["--endpoint", "http://127.0.0.1:9", "--table", "nope"],
            &[],
        )
        .unwrap();
        let error = options.manager().expect_err("no DynamoDB there");
        assert!(
            error.to_string().contains("cannot read DynamoDB table"),
            "{error}"
        );
    }
}
