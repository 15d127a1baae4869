//! Live layer: one task set per kubeconfig context, watching the kinds that are needed.
