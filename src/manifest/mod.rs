//! Manifest parsing: bytes of YAML/JSON files → Kubernetes objects with their source position.
//! Pure: takes bytes, returns data. File walking for local directories is in `load`.
