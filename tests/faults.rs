//! STS failing in every way the network can fail: each fault ends within a stated time, is
//! retried when a retry can help, leaves stdout empty, and says what to do.
//!
//! The bounds come from src/sts/mod.rs: 3.1 s to connect, 5 s per attempt, 15 s for the whole
//! call, 3 attempts with the standard retry strategy (1 s initial back-off with jitter, then
//! 2 s). Upper bounds below leave a second or two for process start-up on a busy 2-core CI.

use std::time::Duration;

use crate::support::*;

/// A failure with each needle in its message, in one or two lines, within `max` seconds.
#[track_caller]
fn fails_within(test: &Test, max: f64, needles: &[&str]) -> Output {
    let out = test.fails(needles);
    assert!(
        (1..=2).contains(&out.stderr.lines().count()),
        "not one or two lines:\n{}",
        out.stderr
    );
    assert!(
        out.elapsed.as_secs_f64() < max,
        "took {:?}, more than {max}s",
        out.elapsed
    );
    out
}

#[track_caller]
fn ok_within(test: &Test, max: f64) -> Output {
    let out = test.ok();
    assert!(
        out.elapsed.as_secs_f64() < max,
        "took {:?}, more than {max}s",
        out.elapsed
    );
    assert!(out.stdout.contains("export AWS_SESSION_TOKEN="));
    out
}

fn delay(secs: f64, reply: Reply) -> Reply {
    Reply::Delay(Duration::from_secs_f64(secs), Box::new(reply))
}

const NETWORK_HINT: &str = "check your network connection, proxy or VPN";

#[test]
fn a_server_error_on_every_attempt_is_tried_three_times_then_reported() {
    let server = StsServer::start();
    server.always(Reply::error(500, "InternalFailure", "oops"));
    // Two back-offs of at most 1 s and 2 s.
    fails_within(
        &Test::export(&server),
        6.0,
        &[
            "STS failed GetSessionToken with a server error (HTTP 500, InternalFailure: oops) on 3 attempts",
            "try again in a minute",
        ],
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_server_error_then_success_is_retried() {
    let server = StsServer::start();
    server.reply(Reply::error(503, "ServiceUnavailable", "busy"));
    ok_within(&Test::export(&server), 4.0);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn throttling_then_success_is_retried() {
    let server = StsServer::start();
    server.reply(Reply::error(400, "Throttling", "Rate exceeded"));
    server.reply(Reply::error(400, "Throttling", "Rate exceeded"));
    ok_within(&Test::export(&server), 6.0);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn throttling_on_every_attempt_says_to_wait() {
    let server = StsServer::start();
    server.always(Reply::error(400, "Throttling", "Rate exceeded"));
    fails_within(
        &Test::export(&server),
        6.0,
        &[
            "STS is throttling requests (Throttling: Rate exceeded), even after 3 attempts",
            "wait a minute",
        ],
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_server_that_never_answers_cannot_hang_mfa_env() {
    let server = StsServer::start();
    server.always(Reply::Hang);
    let out = fails_within(
        &Test::export(&server),
        17.0,
        &[
            "no answer from STS at http://127.0.0.1:",
            "within 15s",
            NETWORK_HINT,
        ],
    );
    // The operation timeout ends it, not an earlier give-up: every attempt got its 5 s.
    assert!(out.elapsed.as_secs_f64() > 14.0, "took {:?}", out.elapsed);
    // 5 s per attempt and back-off in between: the third attempt is cut short at 15 s.
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_connection_closed_without_an_answer_is_retried_then_reported() {
    let server = StsServer::start();
    server.always(Reply::Close);
    fails_within(
        &Test::export(&server),
        6.0,
        &["cannot reach STS at http://127.0.0.1:", NETWORK_HINT],
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_connection_reset_mid_answer_is_retried() {
    let server = StsServer::start();
    server.reply(Reply::Reset);
    ok_within(&Test::export(&server), 4.0);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_connection_reset_on_every_attempt_is_reported() {
    let server = StsServer::start();
    server.always(Reply::Reset);
    fails_within(
        &Test::export(&server),
        6.0,
        &[
            "the connection to STS at http://127.0.0.1:",
            "broke while reading the answer (3 attempts): Connection reset by peer",
            NETWORK_HINT,
        ],
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_refused_connection_is_retried_briefly_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    fails_within(
        &Test::new()
            .config(CONFIG)
            .credentials(CREDENTIALS)
            .env("AWS_ENDPOINT_URL_STS", &format!("http://127.0.0.1:{port}"))
            .args(["dev", "-c", "123456"]),
        6.0,
        &[
            "cannot reach STS at http://127.0.0.1:",
            "Connection refused",
            NETWORK_HINT,
        ],
    );
}

#[test]
fn answers_that_are_not_sts_say_to_check_the_endpoint() {
    let bodies: &[(u16, &str, usize)] = &[
        // A captive portal's page: not retried, a retry would get the same page.
        (200, "<html>captive portal</html>", 1),
        // XML, but another service's.
        (
            200,
            "<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>",
            1,
        ),
        (200, "", 1),
        // A proxy's error page: a 5xx is worth retrying.
        (502, "<html>Bad Gateway</html>", 3),
    ];
    for (status, body, attempts) in bodies {
        let server = StsServer::start();
        server.always(Reply::Raw {
            status: *status,
            body: (*body).into(),
        });
        fails_within(
            &Test::export(&server),
            6.0,
            &["not an STS response", "endpoint URL"],
        );
        assert_eq!(server.requests().len(), *attempts, "{status} {body}");
    }
}

#[test]
fn a_slow_answer_just_within_the_attempt_timeout_succeeds_at_once() {
    let server = StsServer::start();
    server.reply(delay(4.2, Reply::Creds(Creds::default())));
    let out = ok_within(&Test::export(&server), 6.0);
    assert!(out.elapsed.as_secs_f64() > 4.0, "took {:?}", out.elapsed);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_slow_answer_just_past_the_attempt_timeout_is_retried() {
    let server = StsServer::start();
    server.reply(delay(5.8, Reply::Creds(Creds::default())));
    // 5 s for the first attempt, at most 1 s back-off, a quick second attempt.
    let out = ok_within(&Test::export(&server), 8.0);
    assert!(out.elapsed.as_secs_f64() > 5.0, "took {:?}", out.elapsed);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn answers_always_past_the_attempt_timeout_end_at_the_operation_timeout() {
    let server = StsServer::start();
    server.always(delay(5.8, Reply::Creds(Creds::default())));
    let out = fails_within(
        &Test::export(&server),
        17.0,
        &["no answer from STS at http://127.0.0.1:", "within 15s"],
    );
    assert!(out.elapsed.as_secs_f64() > 14.0, "took {:?}", out.elapsed);
    assert_eq!(server.requests().len(), 3);
}
