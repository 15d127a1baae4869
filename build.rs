//! Link options of the `kubedrift` binary.
//!
//! `KUBEDRIFT_NO_PIE=1` (set by `.cargo/fast-start.toml` for release builds) links it as a
//! position-dependent executable on Linux: a PIE's ~37,000 relative relocations (and, with
//! OpenSSL linked statically, its tables' too) are written at every start, a copy-on-write
//! page fault per page — 544 -> 290 page faults and 2.55 -> 1.78 ms task-clock for
//! `kubedrift --version`, most of a served `kubedrift diff`. The cost: the executable's own
//! code and data lose address randomisation (libraries, heap and stack keep it), as Go
//! binaries such as kubectl and helm are built by default.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=KUBEDRIFT_NO_PIE");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let no_pie = std::env::var("KUBEDRIFT_NO_PIE").is_ok_and(|v| v == "1");
    if linux && no_pie {
        println!("cargo:rustc-link-arg-bin=kubedrift=-no-pie");
    }
}
