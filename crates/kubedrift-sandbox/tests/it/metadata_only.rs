//! Metadata-only requests (`Accept: application/json;as=PartialObjectMetadata[List];
//! g=meta.k8s.io;v=v1`), as kube-rs `list_metadata` / `get_metadata` / `watch_metadata` and
//! kube-runtime's `metadata_watcher` send them: a real server answers `meta.k8s.io`
//! PartialObjectMetadata(List) carrying the whole `metadata` and never `data`, `spec` or
//! `status`; it answers 406 NotAcceptable to a transform it cannot do.
//!
//! kube-rs deserializes whatever comes back into `PartialObjectMeta` (dropping other fields), so
//! the bodies are also read raw, through the exact requests kube-rs builds.

use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::core::PartialObjectMeta;
use kube::core::{Request, TypeMeta};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Client;
use kubedrift_sandbox::{Sandbox, SandboxOptions};
use serde_json::{json, Value};
use std::time::Duration;

/// Bound on waiting for an expected event (a hang guard, not a timing assertion).
const WAIT: Duration = Duration::from_secs(30);

/// The base64 of the Secret's password: must never appear in a metadata-only answer.
const PASSWORD_B64: &str = "aHVudGVyMg==";

const SECRETS: &str = "/api/v1/namespaces/default/secrets";

fn partial_object_metadata() -> Option<TypeMeta> {
    Some(TypeMeta {
        api_version: "meta.k8s.io/v1".into(),
        kind: "PartialObjectMetadata".into(),
    })
}

async fn cluster() -> (Sandbox, Client) {
    let sandbox = Sandbox::start(SandboxOptions {
        clusters: vec!["dev".into()],
        ready_after: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .expect("sandbox starts");
    let kubeconfig =
        kube::config::Kubeconfig::from_yaml(&sandbox.kubeconfig_yaml()).expect("kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .expect("config");
    let client = Client::try_from(config).expect("client");
    (sandbox, client)
}

/// Secrets `db` (data, labels, annotations, an owner, applied so it has managedFields),
/// `api` and `cache`.
async fn seed(client: &Client) -> Api<Secret> {
    let owners: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let owner = owners
        .create(
            &PostParams::default(),
            &serde_json::from_value(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}}),
            )
            .expect("configmap"),
        )
        .await
        .expect("owner created");
    let owner_uid = owner.metadata.uid.expect("uid");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let db = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {
            "name": "db", "namespace": "default",
            "labels": {"app": "shop"},
            "annotations": {"team": "payments"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner_uid}]
        },
        "type": "Opaque",
        "data": {"password": PASSWORD_B64}
    });
    secrets
        .patch(
            "db",
            &PatchParams::apply("kubedrift-test"),
            &Patch::Apply(&db),
        )
        .await
        .expect("db applied");
    for name in ["api", "cache"] {
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name}, "data": {"token": PASSWORD_B64}});
        secrets
            .create(
                &PostParams::default(),
                &serde_json::from_value(secret).expect("secret"),
            )
            .await
            .expect("secret created");
    }
    secrets
}

/// `request` as kube-rs builds it, sent as is or with `accept` as its Accept header: the body
/// as text (an API error as kube's error).
async fn raw(
    client: &Client,
    mut request: axum::http::Request<Vec<u8>>,
    accept: Option<&str>,
) -> kube::Result<String> {
    if let Some(value) = accept.and_then(|accept| accept.parse().ok()) {
        request
            .headers_mut()
            .insert(axum::http::header::ACCEPT, value);
    }
    client.request_text(request).await
}

/// [`raw`], answered: the body as JSON.
async fn raw_json(
    client: &Client,
    request: axum::http::Request<Vec<u8>>,
    accept: Option<&str>,
) -> Value {
    let text = raw(client, request, accept).await.expect("answered");
    serde_json::from_str(&text).expect("json")
}

/// [`raw_json`] of a metadata-only request, checked to hold no Secret data.
async fn raw_metadata(
    client: &Client,
    request: axum::http::Request<Vec<u8>>,
    accept: Option<&str>,
) -> Value {
    let body = raw_json(client, request, accept).await;
    assert!(
        !body.to_string().contains(PASSWORD_B64),
        "secret data leaked: {body}"
    );
    body
}

/// Keys of a JSON object, sorted.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

fn assert_metadata_only(item: &Value, version: &str) {
    assert_eq!(keys(item), ["apiVersion", "kind", "metadata"], "{item}");
    assert_eq!(item["kind"], "PartialObjectMetadata");
    assert_eq!(item["apiVersion"], format!("meta.k8s.io/{version}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_get_metadata_carry_metadata_and_never_data() {
    let (_sandbox, client) = cluster().await;
    let secrets = seed(&client).await;

    // Typed, as the app's metadata-only paths call it.
    let listed = secrets
        .list_metadata(&ListParams::default())
        .await
        .expect("list_metadata");
    assert_eq!(listed.types.kind, "PartialObjectMetadataList");
    assert_eq!(listed.types.api_version, "meta.k8s.io/v1");
    assert!(listed.metadata.resource_version.is_some());
    let db = listed
        .items
        .iter()
        .find(|i| i.metadata.name.as_deref() == Some("db"))
        .expect("db listed");
    assert_eq!(db.types, partial_object_metadata());
    let meta = &db.metadata;
    assert_eq!(
        meta.labels
            .as_ref()
            .and_then(|l| l.get("app"))
            .map(String::as_str),
        Some("shop")
    );
    assert_eq!(
        meta.annotations
            .as_ref()
            .and_then(|a| a.get("team"))
            .map(String::as_str),
        Some("payments")
    );
    assert!(meta.resource_version.is_some() && meta.uid.is_some());
    assert_eq!(
        meta.owner_references.as_ref().map(|o| o[0].name.as_str()),
        Some("owner")
    );
    assert!(meta.managed_fields.as_ref().is_some_and(|m| m
        .iter()
        .any(|f| f.manager.as_deref() == Some("kubedrift-test"))));

    let got = secrets.get_metadata("db").await.expect("get_metadata");
    assert_eq!(got.types, partial_object_metadata());
    assert_eq!(got.metadata.uid, meta.uid);

    // Raw: exactly the request kube-rs sends; the body holds no Secret data.
    let request = Request::new(SECRETS)
        .list_metadata(&ListParams::default())
        .expect("request");
    let list = raw_metadata(&client, request, None).await;
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(list["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(3));
    for item in list["items"].as_array().into_iter().flatten() {
        assert_metadata_only(item, "v1");
    }
    let request = Request::new(SECRETS)
        .get_metadata("db", &Default::default())
        .expect("request");
    let one = raw_metadata(&client, request, None).await;
    assert_metadata_only(&one, "v1");
    assert_eq!(one["metadata"]["labels"]["app"], "shop");

    // v1beta1 is served too.
    let request = Request::new(SECRETS)
        .list(&ListParams::default())
        .expect("request");
    let v1beta1 = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1";
    let list = raw_metadata(&client, request, Some(v1beta1)).await;
    assert_eq!(list["apiVersion"], "meta.k8s.io/v1beta1");
    for item in list["items"].as_array().into_iter().flatten() {
        assert_metadata_only(item, "v1beta1");
    }

    // A Deployment: no spec, no status.
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}});
    deployments
        .create(
            &PostParams::default(),
            &serde_json::from_value(deployment).expect("deployment"),
        )
        .await
        .expect("deployment created");
    let request = Request::new("/apis/apps/v1/namespaces/default/deployments")
        .list_metadata(&ListParams::default())
        .expect("request");
    let list = raw_metadata(&client, request, None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_metadata_only(&list["items"][0], "v1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_metadata_pages_with_limit_and_continue() {
    let (_sandbox, client) = cluster().await;
    let secrets = seed(&client).await;
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(1);
    let mut pages = 0;
    loop {
        let page = secrets.list_metadata(&params).await.expect("page");
        pages += 1;
        assert_eq!(page.items.len(), 1);
        assert!(page.metadata.resource_version.is_some());
        assert_eq!(page.items[0].types, partial_object_metadata());
        names.extend(page.items.iter().filter_map(|i| i.metadata.name.clone()));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(names, ["api", "cache", "db"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transforms_the_server_cannot_do_are_406_not_acceptable() {
    let (_sandbox, client) = cluster().await;
    seed(&client).await;
    let status = |result: kube::Result<String>| match result {
        Err(kube::Error::Api(status)) => Some((status.code, status.reason, status.message)),
        _ => None,
    };
    let list = || {
        Request::new(SECRETS)
            .list(&ListParams::default())
            .expect("request")
    };

    // A single PartialObjectMetadata asked for a list, and a list asked for one object.
    let answer = raw(
        &client,
        list(),
        Some("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"),
    )
    .await;
    assert_eq!(
        status(answer),
        Some((406, "NotAcceptable".into(), "you requested PartialObjectMetadata, but the requested object is a list (*v1.SecretList)".into()))
    );
    let get = Request::new(SECRETS)
        .get("db", &Default::default())
        .expect("request");
    let answer = raw(
        &client,
        get,
        Some("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
    )
    .await;
    assert_eq!(
        status(answer),
        Some((406, "NotAcceptable".into(), "you requested PartialObjectMetadataList, but the requested object is not a list (*v1.Secret)".into()))
    );

    // An unknown transform, and one in a version that does not exist.
    let served = "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf";
    for accept in [
        "application/json;as=Secret;g=meta.k8s.io;v=v1",
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v2",
        "text/html",
    ] {
        let answer = raw(&client, list(), Some(accept)).await;
        assert_eq!(
            status(answer),
            Some((406, "NotAcceptable".into(), served.into())),
            "{accept}"
        );
    }

    // Several ranges: the highest q the server can serve wins.
    let list_body = raw_json(
        &client,
        list(),
        Some("application/json;as=Secret;g=meta.k8s.io;v=v1, application/json;q=0.5, application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1;q=0.9"),
    )
    .await;
    assert_eq!(list_body["kind"], "PartialObjectMetadataList");
    let list_body = raw_json(
        &client,
        list(),
        Some("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1;q=0.1, application/json"),
    )
    .await;
    assert_eq!(list_body["kind"], "SecretList");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_watches_send_partial_object_metadata() {
    let (_sandbox, client) = cluster().await;
    let secrets = seed(&client).await;
    let rv = secrets
        .list_metadata(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("list rv");

    // Raw watch (kube-rs's exact request) and typed watch_metadata, both from the list's rv.
    let request = Request::new(SECRETS)
        .watch_metadata(&WatchParams::default().timeout(20), &rv)
        .expect("request");
    let mut raw = client
        .request_stream(request)
        .await
        .expect("raw watch")
        .lines();
    let mut typed = secrets
        .watch_metadata(&WatchParams::default().timeout(20), &rv)
        .await
        .expect("watch_metadata")
        .boxed();

    // kube-runtime's metadata-only watcher (list, then watch): kube 5 spells
    // `metadata_watcher(api, ..)` as a watcher over `Api<PartialObjectMeta<K>>`.
    let metadata_api: Api<PartialObjectMeta<Secret>> = Api::namespaced(client.clone(), "default");
    let mut informer = watcher(metadata_api, watcher::Config::default())
        .applied_objects()
        .boxed();
    let first = tokio::time::timeout(WAIT, informer.try_next())
        .await
        .expect("initial object in time")
        .expect("watcher ok")
        .expect("an object");
    assert_eq!(first.types, partial_object_metadata());

    let change = json!({"metadata": {"labels": {"app": "shop", "rotated": "yes"}}, "data": {"password": "bmV3"}});
    secrets
        .patch("db", &PatchParams::default(), &Patch::Merge(&change))
        .await
        .expect("patched");

    let line = tokio::time::timeout(WAIT, async {
        while let Some(line) = raw.next().await {
            let line = line.expect("line");
            if line.contains("\"MODIFIED\"") {
                return Some(line);
            }
        }
        None
    })
    .await
    .expect("raw event in time")
    .expect("a MODIFIED event");
    assert!(
        !line.contains(PASSWORD_B64) && !line.contains("bmV3"),
        "{line}"
    );
    let event: Value = serde_json::from_str(&line).expect("json event");
    assert_metadata_only(&event["object"], "v1");
    assert_eq!(event["object"]["metadata"]["labels"]["rotated"], "yes");

    let modified = tokio::time::timeout(WAIT, async {
        while let Some(event) = typed.next().await {
            if let Ok(WatchEvent::Modified(object)) = event {
                return Some(object);
            }
        }
        None
    })
    .await
    .expect("typed event in time")
    .expect("a Modified event");
    assert_eq!(modified.types, partial_object_metadata());
    assert_eq!(
        modified
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("rotated"))
            .map(String::as_str),
        Some("yes")
    );

    let seen = tokio::time::timeout(WAIT, async {
        while let Ok(Some(object)) = informer.try_next().await {
            let rotated = object
                .metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.contains_key("rotated"));
            if rotated {
                return Some(object);
            }
        }
        None
    })
    .await
    .expect("watcher update in time")
    .expect("the rotated Secret");
    assert_eq!(seen.types, partial_object_metadata());
    assert_eq!(seen.metadata.name.as_deref(), Some("db"));
}
