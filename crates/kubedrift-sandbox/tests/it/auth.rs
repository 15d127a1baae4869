//! `kubectl auth can-i` and `kubectl auth whoami` against sandbox clusters: the sandbox serves
//! SelfSubjectAccessReview, SelfSubjectRulesReview and SelfSubjectReview (with discovery and
//! kubectl's protobuf bodies), answered from the same rules that guard every request, so each
//! token hears what a real cluster would tell it.
//!
//! kubectl only sends bearer tokens over HTTPS, so these sandboxes serve TLS. Every kubectl run
//! has `--request-timeout` so a server bug fails a test instead of hanging it.

use kubedrift_testkit::SandboxEnv;
use serde_json::Value;
use std::time::Duration;

/// kubectl's `--request-timeout` in these tests.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(20);

/// kubectl as the admin (`dev`) or the viewer (`dev-viewer`).
fn as_user<'a>(context: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--context", context];
    all.extend_from_slice(args);
    all
}

#[test]
fn can_i_says_yes_to_the_admin_and_no_to_the_viewer() {
    let env = SandboxEnv::dev(KUBECTL_TIMEOUT);
    env.ok(&["create", "namespace", "shop"]);
    for (context, args, answer) in [
        ("dev", vec!["create", "deployments"], "yes"),
        ("dev", vec!["delete", "secrets", "-n", "shop"], "yes"),
        ("dev", vec!["*", "*"], "yes"),
        ("dev-viewer", vec!["create", "deployments"], "no"),
        (
            "dev-viewer",
            vec!["patch", "deployment/web", "-n", "shop"],
            "no",
        ),
        (
            "dev-viewer",
            vec!["scale", "deployments", "--subresource=scale"],
            "no",
        ),
        (
            "dev-viewer",
            vec!["list", "deployments", "-n", "shop"],
            "yes",
        ),
        ("dev-viewer", vec!["get", "pods", "-A"], "yes"),
        ("dev-viewer", vec!["get", "secrets", "-n", "shop"], "no"),
        ("dev-viewer", vec!["get", "/healthz"], "yes"),
        ("dev-viewer", vec!["get", "/metrics"], "no"),
    ] {
        let mut full = vec!["auth", "can-i"];
        full.extend(args.iter().copied());
        let run = env.kubectl(&as_user(context, &full));
        assert_eq!(
            run.stdout.trim(),
            answer,
            "{context} {args:?}:\nstdout: {}\nstderr: {}",
            run.stdout,
            run.stderr
        );
        assert_eq!(
            run.code,
            if answer == "yes" { 0 } else { 1 },
            "{context} {args:?}: {}",
            run.stderr
        );
    }

    // What can-i says is what the server then does.
    let forbidden = env.kubectl(&as_user(
        "dev-viewer",
        &[
            "create",
            "deployment",
            "web",
            "--image=nginx:1.27",
            "-n",
            "shop",
        ],
    ));
    assert_eq!(forbidden.code, 1);
    assert!(
        forbidden
            .stderr
            .contains("is forbidden: User \"viewer\" cannot create resource \"deployments\""),
        "{}",
        forbidden.stderr
    );
    env.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "-n",
        "shop",
    ]);

    // The reviews are in discovery, create-only, and never stored.
    let resources = env.ok(&["api-resources", "-o", "wide", "--no-headers"]);
    for (plural, api) in [
        ("selfsubjectaccessreviews", "authorization.k8s.io/v1"),
        ("selfsubjectrulesreviews", "authorization.k8s.io/v1"),
        ("selfsubjectreviews", "authentication.k8s.io/v1"),
    ] {
        let line = resources
            .lines()
            .find(|l| l.split_whitespace().next() == Some(plural))
            .unwrap_or_else(|| panic!("{plural} not in api-resources:\n{resources}"));
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert!(
            columns.contains(&api) && columns.last() == Some(&"create"),
            "{line}"
        );
    }
    let get = env.kubectl(&["get", "selfsubjectaccessreviews"]);
    assert_eq!(get.code, 1);
    assert!(get.stderr.contains("MethodNotAllowed"), "{}", get.stderr);
}

#[test]
fn can_i_list_shows_each_tokens_rules() {
    let env = SandboxEnv::dev(KUBECTL_TIMEOUT);
    let admin = env.ok(&["auth", "can-i", "--list", "-n", "default"]);
    let star = admin
        .lines()
        .find(|l| l.starts_with("*.*"))
        .unwrap_or_else(|| panic!("no *.* rule for the admin:\n{admin}"));
    assert!(star.contains("[*]"), "{star}");

    let viewer = env.ok(&as_user(
        "dev-viewer",
        &["auth", "can-i", "--list", "-n", "default"],
    ));
    let rule = |resource: &str| {
        viewer
            .lines()
            .find(|l| l.split_whitespace().next() == Some(resource))
            .map(str::to_string)
    };
    let deployments = rule("deployments.apps").unwrap_or_else(|| panic!("{viewer}"));
    assert!(deployments.contains("[get list watch]"), "{deployments}");
    assert!(rule("configmaps").is_some(), "{viewer}");
    assert!(
        rule("secrets").is_none(),
        "viewers may not read Secrets:\n{viewer}"
    );
    assert!(rule("*.*").is_none(), "{viewer}");
}

#[test]
fn whoami_names_the_user_of_each_token() {
    let env = SandboxEnv::dev(KUBECTL_TIMEOUT);
    let admin = env.ok(&["auth", "whoami"]);
    let lines: Vec<Vec<&str>> = admin
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines.first().cloned(),
        Some(vec!["ATTRIBUTE", "VALUE"]),
        "{admin}"
    );
    assert!(lines.contains(&vec!["Username", "admin"]), "{admin}");
    assert!(
        lines.contains(&vec!["Groups", "[system:masters", "system:authenticated]"]),
        "{admin}"
    );

    let viewer = env.ok(&as_user("dev-viewer", &["auth", "whoami", "-o", "json"]));
    let doc: Value = serde_json::from_str(&viewer).expect("json");
    assert_eq!(doc["kind"], "SelfSubjectReview");
    assert_eq!(doc["apiVersion"], "authentication.k8s.io/v1");
    assert_eq!(doc["status"]["userInfo"]["username"], "viewer");
    assert_eq!(
        doc["status"]["userInfo"]["groups"],
        serde_json::json!(["system:authenticated"])
    );
}
