//! Renderers: plain YAML, Kustomize, Helm → desired manifests of one app in one environment.
