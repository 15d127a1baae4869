//! Kubernetes resource quantities (`1000m` = `1`, `1Gi` = `1024Mi`).
