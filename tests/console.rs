//! `mfa-env console`: a role session assumed with MFA, exchanged at a test federation endpoint
//! for a sign-in URL, written with --print or opened in a real browser (headless Chromium).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::pty::{Pty, Wiring};
use crate::support::signin::{Federation, REFUSED_GET_SESSION_TOKEN, TOKEN_PREFIX};
use crate::support::sts::form_decode;
use crate::support::*;

/// The role session STS hands out here: other keys than the MFA session's (`Creds::default`).
fn role() -> Creds {
    Creds {
        access_key_id: "ASIAROLESESSIONKEY99".into(),
        secret_access_key: "roleSecret/marker+0000000000000000000099".into(),
        session_token: "roleToken/marker+IQoJb3JpZ2luX2VjE==".into(),
        expiration: String::new(),
    }
}

/// STS that hands out `role()` for AssumeRole, and a federation endpoint that takes it and
/// refuses the MFA session.
fn servers() -> (StsServer, Federation) {
    let sts = StsServer::start();
    sts.role_creds(role());
    let federation = Federation::start(&[role()], &[Creds::default()]);
    (sts, federation)
}

/// The usual profiles and roles, STS and the federation endpoint.
fn test(sts: &StsServer, federation: &Federation) -> Test {
    Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(sts)
        .env("MFA_ENV_SIGNIN_URL", &federation.url())
}

/// The line that names the test's federation endpoint.
fn endpoint_line(federation: &Federation) -> String {
    format!(
        "mfa-env: using the sign-in endpoint {} (from MFA_ENV_SIGNIN_URL)\n",
        federation.url()
    )
}

/// What must never reach stderr: the role session's secrets and every sign-in token.
#[track_caller]
fn assert_no_token(out: &Output, federation: &Federation) {
    let role = role();
    for secret in [role.secret_access_key, role.session_token]
        .into_iter()
        .chain(federation.issued())
        .chain([TOKEN_PREFIX.to_owned()])
    {
        assert!(
            !out.raw_stderr.contains(&secret),
            "{secret} on stderr:\n{}",
            out.raw_stderr
        );
    }
}

/// The login URL's parameters, after checking that it is the endpoint's `Action=login` in
/// the documented order.
#[track_caller]
fn login_params(url: &str, federation: &Federation) -> BTreeMap<String, String> {
    let (base, query) = url.trim_end().split_once('?').expect("a query");
    assert_eq!(base, federation.url());
    let names: Vec<&str> = query
        .split('&')
        .map(|p| p.split_once('=').unwrap().0)
        .collect();
    assert_eq!(
        names,
        ["Action", "Issuer", "Destination", "SigninToken"],
        "{url}"
    );
    let params = form_decode(query);
    assert_eq!(params["Action"], "login");
    assert_eq!(params["Issuer"], "mfa-env");
    params
}

#[test]
fn print_writes_the_login_url_of_a_role_session_assumed_with_one_code() {
    let (sts, federation) = servers();
    let out = test(&sts, &federation)
        .args([
            "console",
            "admin",
            "--code",
            "123456",
            "--print",
            "--region",
            "eu-west-1",
        ])
        .ok();
    assert_no_token(&out, &federation);
    // One call, with the code: AssumeRole with the long-term key, no GetSessionToken.
    let calls = sts.requests();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].action(), "AssumeRole");
    assert_eq!(calls[0].access_key(), KEY_ID);
    assert_eq!(calls[0].param("TokenCode"), Some("123456"));
    // The console session follows the role session: an hour, asked of STS, not of the
    // federation endpoint (no SessionDuration: refused for role chaining).
    assert_eq!(calls[0].param("DurationSeconds"), Some("3600"));
    let asked = federation.actions("getSigninToken");
    assert_eq!(asked.len(), 1);
    let session: serde_json::Value =
        serde_json::from_str(asked[0].param("Session").unwrap()).unwrap();
    assert_eq!(
        session,
        serde_json::json!({
            "sessionId": role().access_key_id,
            "sessionKey": role().secret_access_key,
            "sessionToken": role().session_token,
        })
    );
    assert_eq!(asked[0].param("SessionDuration"), None);
    // stdout: the URL alone, on one line.
    assert_eq!(out.stdout.matches('\n').count(), 1, "{}", out.stdout);
    let params = login_params(&out.stdout, &federation);
    assert_eq!(
        params["Destination"],
        "https://console.aws.amazon.com/console/home?region=eu-west-1"
    );
    assert_eq!(params["SigninToken"], federation.issued()[0]);
    assert!(
        out.raw_stderr.contains(&endpoint_line(&federation)),
        "{}",
        out.raw_stderr
    );
    out.stderr_has(&[
        "the sign-in URL for admin is on stdout: it signs in within 15 minutes, and the console session lasts until ",
        "(1h)",
    ]);
}

#[test]
fn a_service_name_and_region_choose_the_page_and_destination_any() {
    let (sts, federation) = servers();
    let test = test(&sts, &federation);
    let page = |args: &[&str]| {
        let mut all = vec!["console", "admin", "-c", "123456", "--print"];
        all.extend_from_slice(args);
        let out = test.run_with(&all);
        assert!(out.status.success(), "{args:?}: {}", out.stderr);
        assert_no_token(&out, &federation);
        login_params(&out.stdout, &federation)["Destination"].clone()
    };
    assert_eq!(
        page(&["s3", "--region", "us-west-2"]),
        "https://console.aws.amazon.com/s3/home?region=us-west-2"
    );
    assert_eq!(
        page(&["EC2", "-r", "cn-north-1"]),
        "https://console.amazonaws.cn/ec2/home?region=cn-north-1"
    );
    assert_eq!(
        page(&["iam", "-r", "us-gov-west-1"]),
        "https://console.amazonaws-us-gov.com/iam/home?region=us-gov-west-1"
    );
    let any = "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:";
    assert_eq!(page(&["--destination", any]), any);
    // What cannot be a page is refused before a code is spent or a call made.
    let before = sts.requests().len();
    for (args, needle) in [
        (&["s3/../x"][..], "is not a console service name"),
        (
            &["--destination", "http://console.example.com/"],
            "plain http",
        ),
        (&["s3", "--destination", any], "cannot be used with"),
        (
            &["--region", "us-iso-east-1"],
            "no console address for us-iso-east-1",
        ),
    ] {
        let mut all = vec!["console", "admin", "-c", "123456", "--print"];
        all.extend_from_slice(args);
        let out = test.run_with(&all);
        assert!(!out.status.success(), "{args:?}");
        out.stderr_has(&[needle]);
    }
    assert_eq!(sts.requests().len(), before);
}

#[test]
fn an_iam_user_is_refused_with_why_and_what_to_do() {
    let (sts, federation) = servers();
    let out = test(&sts, &federation)
        .args(["console", "dev", "--code", "123456", "--print"])
        .fails(&[
            "profile 'dev' is an IAM user's, with no role",
            REFUSED_GET_SESSION_TOKEN,
            "a federation token carries no MFA",
            "use a role profile (role_arn, source_profile = dev) or pass --role-arn ARN",
            "password and MFA device",
            "(--federation-token signs in without MFA)",
        ]);
    assert_eq!(out.stdout, "");
    assert!(sts.requests().is_empty());
    assert!(federation.requests().is_empty());
    // --role-arn makes a role of it.
    let out = test(&sts, &federation)
        .args(["console", "dev", "-c", "123456", "--print"])
        .args(["--role-arn", "arn:aws:iam::123456789012:role/ReadOnly"])
        .ok();
    assert_eq!(
        sts.only_request().param("RoleArn"),
        Some("arn:aws:iam::123456789012:role/ReadOnly")
    );
    login_params(&out.stdout, &federation);
}

#[test]
fn a_federation_token_only_when_asked_for_and_with_the_warning() {
    let sts = StsServer::start();
    let federated = Creds {
        access_key_id: "ASIAFEDERATEDUSER001".into(),
        ..role()
    };
    sts.always(Reply::Creds(federated.clone()));
    let federation = Federation::start(&[federated], &[]);
    let out = test(&sts, &federation)
        .env("USER", "alice")
        .args([
            "console",
            "dev",
            "--federation-token",
            "--print",
            "-r",
            "eu-west-1",
        ])
        .ok();
    out.stderr_has(&[
        "--federation-token: the console session of 'dev' carries no MFA, and every policy that requires MFA (aws:MultiFactorAuthPresent) denies it",
    ]);
    assert_no_token(&out, &federation);
    let call = sts.only_request();
    assert_eq!(call.action(), "GetFederationToken");
    assert_eq!(call.access_key(), KEY_ID);
    assert_eq!(call.param("Name"), Some("mfa-env-alice"));
    assert_eq!(call.param("DurationSeconds"), Some("3600"));
    assert_eq!(call.param("TokenCode"), None);
    let policy: serde_json::Value = serde_json::from_str(call.param("Policy").unwrap()).unwrap();
    assert_eq!(
        policy["Statement"],
        serde_json::json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    );
    assert_eq!(
        federation.actions("getSigninToken")[0].param("SessionDuration"),
        None
    );
    login_params(&out.stdout, &federation);
    // A code given is not used, and said so.
    test(&sts, &federation)
        .args([
            "console",
            "dev",
            "--federation-token",
            "--print",
            "-c",
            "123456",
        ])
        .ok()
        .stderr_has(&["the code is not used: GetFederationToken takes none"]);
    // A role profile has a session with MFA: the flag is refused there.
    let before = sts.requests().len();
    test(&sts, &federation)
        .args([
            "console",
            "admin",
            "--federation-token",
            "--print",
            "-c",
            "123456",
        ])
        .fails(&["--federation-token is for an IAM user's profile, and 'admin' assumes a role"]);
    assert_eq!(sts.requests().len(), before);
}

#[test]
fn an_endpoint_that_refuses_the_session_is_reported_without_secrets() {
    let sts = StsServer::start();
    // The endpoint takes nothing, and says of the MFA session what AWS says.
    let federation = Federation::start(&[], &[Creds::default()]);
    let out = test(&sts, &federation)
        .args(["console", "admin", "-c", "123456", "--print"])
        .fails(&[
            "the sign-in endpoint",
            "refused the role session (HTTP 400): ",
            REFUSED_GET_SESSION_TOKEN,
        ]);
    assert_no_token(&out, &federation);
    // An endpoint that does not answer is bounded.
    let test = test(&sts, &federation).env("MFA_ENV_SIGNIN_URL", "http://127.0.0.1:9/federation");
    let out = test.run_with(&["console", "admin", "-c", "123456", "--print"]);
    assert!(!out.status.success());
    out.stderr_has(&["cannot reach the sign-in endpoint http://127.0.0.1:9/federation"]);
    assert!(out.elapsed < Duration::from_secs(20), "{:?}", out.elapsed);
    // One that takes the connection and never answers is given up on, saying so.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/federation", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in silent.incoming() {
            held.push(conn);
        }
    });
    let hangs = Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(&sts)
        .env("MFA_ENV_SIGNIN_URL", &url)
        .args(["console", "admin", "-c", "123456", "--print"]);
    let out = hangs.run();
    assert!(!out.status.success());
    out.stderr_has(&[&format!(
        "no answer from the sign-in endpoint {url} within 5s"
    )]);
    assert!(
        out.elapsed >= Duration::from_secs(4) && out.elapsed < Duration::from_secs(20),
        "{:?}: {}",
        out.elapsed,
        out.stderr
    );
    // Plain http elsewhere is refused before a code is spent.
    let before = sts.requests().len();
    let remote = Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(&sts)
        .env("MFA_ENV_SIGNIN_URL", "http://signin.example.com/federation")
        .args(["console", "admin", "-c", "123456", "--print"])
        .fails(&["MFA_ENV_SIGNIN_URL http://signin.example.com/federation is plain http to another computer"]);
    assert_eq!(remote.stdout, "");
    assert_eq!(sts.requests().len(), before);
}

#[test]
fn from_the_agents_mfa_session_no_code_and_from_nothing_one() {
    let (sts, federation) = servers();
    let test = test(&sts, &federation).with_runtime_dir();
    let _agent = test.start_agent();
    // Nothing held: one code, for the MFA session the agent keeps and the role from it.
    let out = test.run_with(&["console", "admin", "-c", "123456", "--print"]);
    assert!(out.status.success(), "{}", out.stderr);
    let calls = sts.requests();
    assert_eq!(
        calls.iter().map(|r| r.action()).collect::<Vec<_>>(),
        ["GetSessionToken", "AssumeRole"]
    );
    assert_eq!(calls[0].param("TokenCode"), Some("123456"));
    calls[1].assert_assumed_with(&Creds::default());
    login_params(&out.stdout, &federation);
    // The next console needs no code: the role session the agent keeps serves (it has the
    // hour less --min-ttl left), or a new one is assumed from the MFA session it holds.
    let out = test.run_with(&["console", "deep", "--print"]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&["the role is assumed from the MFA session the agent holds: no code needed"]);
    assert_no_token(&out, &federation);
    login_params(&out.stdout, &federation);
    let out = test.run_with(&["console", "admin", "s3", "--print"]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&["the session comes from the agent: no code needed"]);
    assert_eq!(federation.actions("getSigninToken").len(), 3);
}

#[test]
fn from_the_mfa_session_this_shell_holds_no_code() {
    let (sts, federation) = servers();
    let out = test(&sts, &federation)
        .holding("dev", 3 * 3600)
        .args(["console", "admin", "--print"])
        .ok();
    out.stderr_has(&["the role is assumed from the MFA session this shell holds: no code needed"]);
    let call = sts.only_request();
    assert_eq!(call.access_key(), "ASIAHELDSESSION00042");
    assert_eq!(call.param("TokenCode"), None);
    login_params(&out.stdout, &federation);
}

#[test]
fn the_role_session_this_shell_holds_serves_as_it_is() {
    let sts = StsServer::start();
    sts.role_creds(role());
    let read_only = "arn:aws:iam::123456789012:role/ReadOnly";
    let held = Creds {
        access_key_id: "ASIAHELDSESSION00042".into(),
        secret_access_key: "heldSecret".into(),
        session_token: "heldToken".into(),
        expiration: String::new(),
    };
    let federation = Federation::start(&[held, role()], &[Creds::default()]);
    let config = format!("{CONFIG}[profile ro]\nrole_arn = {read_only}\nsource_profile = dev\n");
    let holding = |left: i64| {
        test(&sts, &federation)
            .config(&config)
            .holding("ro", left)
            .env("MFA_ENV_ROLE", read_only)
    };
    let out = holding(40 * 60).args(["console", "ro", "--print"]).ok();
    out.stderr_has(&[
        "the role session this shell holds serves: no code needed (--force opens a new one)",
        "the console session lasts until ",
        "(40m)",
    ]);
    assert!(sts.requests().is_empty());
    let asked = federation.actions("getSigninToken");
    assert!(
        asked[0]
            .param("Session")
            .unwrap()
            .contains("ASIAHELDSESSION00042")
    );
    login_params(&out.stdout, &federation);
    // --force, or too little left: a new role session, with the code.
    for (left, more) in [(40 * 60, &["--force"][..]), (5 * 60, &[][..])] {
        let out = holding(left)
            .args(["console", "ro", "--print", "-c", "123456"])
            .args(more.iter())
            .ok();
        assert!(
            !out.stderr.contains("this shell holds serves"),
            "{}",
            out.stderr
        );
        assert_eq!(
            sts.requests().pop().unwrap().param("TokenCode"),
            Some("123456")
        );
    }
}

#[test]
fn print_on_a_terminal_is_refused_unless_asked() {
    let (sts, federation) = servers();
    let test = test(&sts, &federation);
    let before = test.snapshot();
    let pty = Pty::open();
    let mut child = pty.spawn(
        test.command_with(&["console", "admin", "-c", "123456", "--print"]),
        Wiring::Screen,
    );
    pty.expect("nothing was asked or printed", 1);
    assert!(!child.wait().unwrap().success());
    let screen = pty.screen();
    assert!(screen.contains("mfa-env: stdout is a terminal: the sign-in URL for admin signs in whoever has it for 15 minutes"), "{screen}");
    assert!(screen.contains("--allow-terminal"), "{screen}");
    assert!(sts.requests().is_empty());
    // Asked for, it is shown.
    let pty = Pty::open();
    let mut child = pty.spawn(
        test.command_with(&[
            "console",
            "admin",
            "-c",
            "123456",
            "--print",
            "--allow-terminal",
        ]),
        Wiring::Screen,
    );
    pty.expect("Action=login", 1);
    assert!(child.wait().unwrap().success(), "{}", pty.screen());
    test.assert_unchanged(&before);
}

/// A $BROWSER script that runs Debian's headless Chromium on the URL, in a home and temporary
/// folder of its own, writing the page it ends on (its DOM) to `dom.html`.
fn chromium_browser(dir: &Path) -> String {
    let chromium = crate::support::shells::on_path("chromium")
        .expect("chromium is not on PATH: scripts/test installs it (Debian's chromium package)");
    let browser = dir.join("browser");
    for sub in ["home", "tmp", "profile"] {
        std::fs::create_dir_all(browser.join(sub)).unwrap();
    }
    let script = browser.join("open");
    let b = browser.display();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             HOME={b}/home TMPDIR={b}/tmp XDG_CONFIG_HOME={b}/home/.config XDG_CACHE_HOME={b}/home/.cache \\\n\
             exec {} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \\\n\
             --disable-background-networking --disable-component-update --disable-sync \\\n\
             --user-data-dir={b}/profile --dump-dom \"$1\" >{b}/dom.html 2>{b}/chromium.log\n",
            chromium.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{} %s", script.display())
}

#[test]
fn headless_chromium_follows_the_login_url_to_the_console_page() {
    let (sts, federation) = servers();
    let test = test(&sts, &federation);
    let browser = chromium_browser(test.dir.path());
    let page = format!("{}/s3/home?region=eu-west-1", federation.base);
    let test = test.env("BROWSER", &browser);
    let out = test.run_with(&["console", "admin", "-c", "123456", "--destination", &page]);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_no_token(&out, &federation);
    out.stderr_has(&[
        "the console for admin opens in `",
        "its session lasts until ",
    ]);
    // The browser got the login URL, which the endpoint redirected to the page.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !federation
        .pages()
        .iter()
        .any(|p| p == "/s3/home?region=eu-west-1")
    {
        assert!(
            Instant::now() < deadline,
            "the browser never reached the page; the endpoint saw {:#?}\nchromium said:\n{}",
            federation.requests(),
            std::fs::read_to_string(test.dir.path().join("browser/chromium.log"))
                .unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let logins = federation.actions("login");
    assert_eq!(logins.len(), 1);
    assert_eq!(
        logins[0].param("SigninToken"),
        Some(federation.issued()[0].as_str())
    );
    assert_eq!(logins[0].param("Destination"), Some(page.as_str()));
    let dom = test.dir.path().join("browser/dom.html");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&dom).unwrap_or_default();
        if text.contains("console page /s3/home?region=eu-west-1") {
            break;
        }
        assert!(Instant::now() < deadline, "the page's DOM: {text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn no_browser_that_opens_is_an_error_without_the_url() {
    let (sts, federation) = servers();
    let out = test(&sts, &federation)
        .env("BROWSER", "/nonexistent/browser:false")
        .args(["console", "admin", "-c", "123456"])
        .fails(&[
            "no browser opened: `/nonexistent/browser` was not found; `false` failed",
            "--print",
        ]);
    assert_no_token(&out, &federation);
}

#[test]
fn without_browser_the_systems_opener_gets_the_url_as_its_one_argument() {
    let (sts, federation) = servers();
    let test = test(&sts, &federation);
    // Fakes of both systems' openers (xdg-open, open), first on PATH: each writes down its
    // arguments, one a line.
    let bin = test.dir.path().join("openers");
    std::fs::create_dir_all(&bin).unwrap();
    let log = test.dir.path().join("opened");
    for name in ["xdg-open", "open"] {
        let script = bin.join(name);
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s\\n' {name} \"$@\" >> {}\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Kept to the end: its folder holds the log.
    let test = test.env("PATH", &path).args([
        "console",
        "admin",
        "iam",
        "-c",
        "123456",
        "-r",
        "eu-west-1",
    ]);
    let out = test.ok();
    assert_eq!(out.stdout, "");
    assert_no_token(&out, &federation);
    let opened = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = opened.lines().collect();
    assert_eq!(lines.len(), 2, "{opened}");
    assert!(["xdg-open", "open"].contains(&lines[0]), "{opened}");
    out.stderr_has(&[&format!("the console for admin opens in `{}`", lines[0])]);
    let params = login_params(lines[1], &federation);
    assert_eq!(
        params["Destination"],
        "https://console.aws.amazon.com/iam/home?region=eu-west-1"
    );
    assert_eq!(params["SigninToken"], federation.issued()[0]);
}
