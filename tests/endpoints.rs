//! Where the calls go: a configured endpoint (variables, the profile, its services section),
//! named once before the first call; AWS's own, FIPS and dual-stack endpoints; plain http to
//! another computer refused before anything is sent.

use crate::support::*;

#[test]
fn endpoint_from_the_profile_and_its_services_section() {
    let server = StsServer::start();
    let config = format!(
        "{CONFIG}endpoint_url = http://127.0.0.1:1\nservices = local\n[services local]\nsts =\n  endpoint_url = {}\n",
        server.url
    );
    let out = Test::new()
        .config(&config)
        .credentials(CREDENTIALS)
        .args(["dev", "-c", "123456"])
        .ok();
    assert!(
        out.raw_stderr.starts_with(&format!(
            "mfa-env: using STS endpoint {} (from the sts endpoint_url of [services local])\n",
            server.url
        )),
        "{}",
        out.raw_stderr
    );
    let config = format!("{CONFIG}endpoint_url = {}\n", server.url);
    let out = Test::new()
        .config(&config)
        .credentials(CREDENTIALS)
        .args(["dev", "-c", "123456"])
        .ok();
    assert!(
        out.raw_stderr.starts_with(&format!(
            "mfa-env: using STS endpoint {} (from endpoint_url of profile 'dev')\n",
            server.url
        )),
        "{}",
        out.raw_stderr
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_configured_endpoint_is_named_once_before_the_code_is_asked() {
    let server = StsServer::start();
    let notice = format!(
        "mfa-env: using STS endpoint {} (from AWS_ENDPOINT_URL_STS)",
        server.url
    );
    let out = Test::export(&server).ok();
    let lines: Vec<&str> = out.raw_stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.raw_stderr);
    assert_eq!(lines[0], notice);
    assert!(lines[1].starts_with("mfa-env: dev session valid until"));
    // Before the question, so that the person sees where the code goes.
    let test = Test::dev(&server).args(["dev", "-s", "bash"]);
    let pty = crate::support::pty::Pty::open();
    let child = pty.spawn(test.command(), crate::support::pty::Wiring::Terminal);
    pty.expect("MFA code for dev", 1);
    let screen = pty.screen();
    assert!(
        screen.find(&notice) < screen.find("MFA code for dev"),
        "{screen}"
    );
    pty.send("123456\r");
    assert!(child.wait_with_output().unwrap().status.success());
    // A role chain makes several calls to one endpoint: one line.
    let out = Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["deep", "-c", "123456"])
        .ok();
    assert_eq!(
        out.raw_stderr.matches(&notice).count(),
        1,
        "{}",
        out.raw_stderr
    );
}

/// A proxy (the test server) that notes each request, a CONNECT to AWS among them, and
/// refuses it: no test reaches AWS.
fn refusing_proxy() -> StsServer {
    let proxy = StsServer::start();
    proxy.always(Reply::Raw {
        status: 403,
        body: String::new(),
    });
    proxy
}

#[test]
fn aws_own_endpoint_is_not_named() {
    // No test may reach AWS: the proxy from the environment (the test server) is asked to
    // CONNECT to the regional endpoint, and refuses.
    let proxy = refusing_proxy();
    let out = Test::new()
        .config(CONFIG)
        .credentials(CREDENTIALS)
        .env("HTTPS_PROXY", &proxy.url)
        .args(["dev", "-c", "123456"])
        .fails(&["cannot reach STS at https://sts.eu-west-1.amazonaws.com"]);
    assert!(
        !out.raw_stderr.contains("using STS endpoint"),
        "{}",
        out.raw_stderr
    );
    let first = &proxy.requests()[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("CONNECT", "sts.eu-west-1.amazonaws.com:443")
    );
}

#[test]
fn fips_and_dual_stack_endpoints_are_used_and_named() {
    // No test may reach AWS: the proxy from the environment (the test server) is asked to
    // CONNECT to the endpoint the SDK built, and refuses.
    let cases = [
        ("AWS_USE_FIPS_ENDPOINT", "sts-fips.eu-west-1.amazonaws.com"),
        ("AWS_USE_DUALSTACK_ENDPOINT", "sts.eu-west-1.api.aws"),
    ];
    for (variable, host) in cases {
        let proxy = refusing_proxy();
        let out = Test::new()
            .config(CONFIG)
            .credentials(CREDENTIALS)
            .env("HTTPS_PROXY", &proxy.url)
            .env(variable, "true")
            .args(["dev", "-c", "123456"])
            .fails(&[&format!("cannot reach STS at https://{host}")]);
        assert!(
            out.raw_stderr.starts_with(&format!(
                "mfa-env: using STS endpoint https://{host} (from {variable}=true)\n"
            )),
            "{}",
            out.raw_stderr
        );
        let first = &proxy.requests()[0];
        assert_eq!(
            (first.method.as_str(), first.path.as_str()),
            ("CONNECT", format!("{host}:443").as_str())
        );
    }
    // The profile's key, and with a configured endpoint a refusal before any call.
    let proxy = refusing_proxy();
    let config = format!("{CONFIG}use_fips_endpoint = true\n");
    Test::new()
        .config(&config)
        .credentials(CREDENTIALS)
        .env("HTTPS_PROXY", &proxy.url)
        .args(["dev", "-c", "123456", "--region", "us-east-1"])
        .fails(&["cannot reach STS at https://sts-fips.us-east-1.amazonaws.com"]);
    assert_eq!(
        proxy.requests()[0].path,
        "sts-fips.us-east-1.amazonaws.com:443"
    );
    let server = StsServer::start();
    Test::new()
        .config(&config)
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["dev", "-c", "123456"])
        .fails(&[
            "use_fips_endpoint = true in profile 'dev' asks for AWS's own STS endpoint in its FIPS or dual-stack form, and AWS_ENDPOINT_URL_STS sets the endpoint http://127.0.0.1:",
            "remove one",
        ]);
    Test::dev(&server)
        .env("AWS_USE_FIPS_ENDPOINT", "yes")
        .args(["dev", "-c", "123456"])
        .fails(&["AWS_USE_FIPS_ENDPOINT=yes is neither true nor false"]);
    assert!(server.requests().is_empty());
}

#[test]
fn plain_http_to_another_computer_is_refused_before_anything_is_sent() {
    // The key id, the signature and the MFA code would cross the network readable, and the
    // answer would be exported.
    let server = StsServer::start();
    let out = Test::new()
        .config(CONFIG)
        .credentials(CREDENTIALS)
        .env("AWS_ENDPOINT_URL_STS", "http://sts.example.invalid:4566")
        .env("HTTP_PROXY", &server.url)
        .args(["dev"])
        .fails(&[
            "the STS endpoint http://sts.example.invalid:4566 (from AWS_ENDPOINT_URL_STS) is plain http to another computer",
            "use https://; for a local emulator on another host (LocalStack in docker compose), set MFA_ENV_ALLOW_HTTP=1",
        ]);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    Test::new()
        .config(&format!("{CONFIG}endpoint_url = http://10.1.2.3\n"))
        .credentials(CREDENTIALS)
        .env("MFA_ENV_ALLOW_HTTP", "0")
        .args(["dev", "-c", "123456"])
        .fails(&["http://10.1.2.3 (from endpoint_url of profile 'dev') is plain http"]);
    assert!(server.requests().is_empty());
}

#[test]
fn an_endpoint_on_this_computer_is_never_sent_through_a_proxy() {
    // A plain-http loopback endpoint went through HTTP_PROXY to whatever host it named: the
    // code, the key id and the signature in clear. Plain http is allowed to loopback only
    // because it never leaves this computer; NO_PROXY is not needed for that.
    let server = StsServer::start();
    let proxy = refusing_proxy();
    for variable in [
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
    ] {
        Test::export(&server).env(variable, &proxy.url).ok();
    }
    // `localhost` by name, as the plain-http rule takes it.
    let url = server.url.replace("127.0.0.1", "localhost");
    Test::new()
        .config(CONFIG)
        .credentials(CREDENTIALS)
        .env("AWS_ENDPOINT_URL_STS", &url)
        .env("HTTP_PROXY", &proxy.url)
        .args(["dev", "-c", "123456"])
        .ok();
    assert_eq!(proxy.requests().len(), 0, "{:?}", proxy.requests());
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn plain_http_reaches_a_proxy_only_where_mfa_env_allow_http_allows_it() {
    // Plain http to another host is refused before anything is sent, so a proxy gets nothing
    // either; with MFA_ENV_ALLOW_HTTP=1 it goes through the proxy the environment names, as the
    // person asked.
    let proxy = StsServer::start();
    let test = Test::new()
        .config(CONFIG)
        .credentials(CREDENTIALS)
        .env("AWS_ENDPOINT_URL_STS", "http://sts.example.invalid:4566")
        .env("HTTP_PROXY", &proxy.url)
        .args(["dev", "-c", "123456"]);
    test.fails(&["is plain http to another computer"]);
    assert!(proxy.requests().is_empty());
    let out = test.env("MFA_ENV_ALLOW_HTTP", "1").ok();
    assert!(
        out.raw_stderr.contains(
            "using STS endpoint http://sts.example.invalid:4566 (from AWS_ENDPOINT_URL_STS; plain http, allowed by MFA_ENV_ALLOW_HTTP)"
        ),
        "{}",
        out.raw_stderr
    );
    assert_eq!(proxy.requests().len(), 1);
    assert_eq!(proxy.requests()[0].path, "http://sts.example.invalid:4566/");
}
