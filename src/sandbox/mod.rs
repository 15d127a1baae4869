//! Sandbox clusters: in-process Kubernetes API servers speaking the real REST API.
