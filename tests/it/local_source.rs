//! Reading local files and directories for the offline `compare` (the one part of manifest
//! loading that does I/O): what is read, what is skipped, size limits, stable content ids.

use kubedrift::local_source::load_path;
use kubedrift::manifest::{ManifestError, ManifestLimits};

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";
const KUBECTL_LIST: &str = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n";

#[test]
fn load_path_reads_directories_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("base/.git")).unwrap();
    std::fs::write(root.join("base/deploy.yaml"), DEPLOYMENT).unwrap();
    std::fs::write(
        root.join("base/.git/config.yaml"),
        "apiVersion: v1\nkind: [",
    )
    .unwrap();
    std::fs::write(root.join("base/notes.txt"), "hello").unwrap();
    std::fs::write(root.join("big.yaml"), "x".repeat(5000)).unwrap();
    std::fs::write(root.join("live.txt"), KUBECTL_LIST).unwrap();
    let limits = ManifestLimits {
        max_file_bytes: 100_000,
    };

    let small = ManifestLimits {
        max_file_bytes: 4999,
    };
    let loaded = load_path(root, &small).unwrap();
    assert_eq!(
        loaded.tree.files.keys().collect::<Vec<_>>(),
        vec!["base/deploy.yaml"]
    );
    assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
    assert!(
        matches!(&loaded.errors[0], ManifestError::TooLarge { file, size: 5000, .. } if file.ends_with("/big.yaml"))
    );
    let parsed = loaded.parse(&small);
    assert_eq!(parsed.objects.len(), 2);
    assert!(matches!(
        &parsed.errors[..],
        [ManifestError::TooLarge { .. }]
    ));

    let again = load_path(root, &limits).unwrap();
    assert!(again.errors.is_empty());
    let parsed = again.parse(&limits);
    assert_eq!(parsed.objects.len(), 2);
    assert_eq!(
        parsed.errors.len(),
        1,
        "big.yaml is read but is not YAML objects: {:?}",
        parsed.errors
    );
    assert_ne!(again.tree.id, loaded.tree.id);
    assert_eq!(again.tree.id, load_path(root, &limits).unwrap().tree.id);

    let single = load_path(&root.join("live.txt"), &limits).unwrap();
    let parsed = single.parse(&limits);
    assert_eq!(parsed.objects.len(), 2);
    assert!(parsed.objects[0].source.file.ends_with("/live.txt"));

    let missing = load_path(&root.join("nope"), &limits).unwrap_err();
    assert!(
        missing
            .to_string()
            .ends_with("/nope: no such file or directory"),
        "{missing}"
    );
}
