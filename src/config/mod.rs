//! Configuration: repos, environments, apps (listed or discovered), loaded from TOML.
