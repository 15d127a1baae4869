//! The config file exactly as written: serde types with source spans, unknown keys rejected.
//!
//! Kept separate from the public model so that validation can point at the offending line
//! (every name and reference is `Spanned`) while consumers get plain, validated data.

use super::{PromotionModel, RendererKind};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub settings: Option<RawSettings>,
    #[serde(default)]
    pub repo: Vec<RawRepo>,
    #[serde(default)]
    pub environment: Vec<RawEnvironment>,
    #[serde(default)]
    pub app: Vec<RawApp>,
    #[serde(default)]
    pub discover: Vec<RawDiscover>,
    #[serde(default)]
    pub source: Vec<RawSource>,
}

/// `[[source]]`: apps read from Argo CD / Flux objects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub kind: Spanned<String>,
    #[serde(default)]
    pub contexts: Vec<Spanned<String>>,
    #[serde(default)]
    pub namespaces: Vec<Spanned<String>>,
    #[serde(default)]
    pub clusters: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub max_manifest_bytes: Option<Spanned<u64>>,
    pub git_poll_seconds: Option<Spanned<u64>>,
    pub fetch_interval_seconds: Option<Spanned<u64>>,
    pub theme: Option<Spanned<String>>,
    pub read_only: Option<bool>,
    pub field_managers: Option<Vec<Spanned<String>>>,
    pub cache_dir: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRepo {
    pub name: Spanned<String>,
    pub path: Spanned<String>,
    pub url: Option<Spanned<String>>,
    pub default_branch: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnvironment {
    pub name: Spanned<String>,
    pub context: Spanned<String>,
    pub namespace: Option<Spanned<String>>,
    #[serde(rename = "ref")]
    pub git_ref: Option<Spanned<String>>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub protected: bool,
    pub order: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApp {
    pub name: Spanned<String>,
    pub repo: Option<Spanned<String>>,
    /// Required unless the app names a `chart` from a chart repository.
    pub path: Option<Spanned<RawPath>>,
    pub chart: Option<RawChart>,
    pub environments: Option<Vec<Spanned<String>>>,
    pub renderer: Option<RendererKind>,
    pub namespace: Option<Spanned<String>>,
    #[serde(rename = "ref")]
    pub git_ref: Option<Spanned<String>>,
    pub helm: Option<RawHelm>,
    pub promotion: Option<RawPromotion>,
    #[serde(default)]
    pub ignore: Vec<Spanned<RawIgnoreRule>>,
}

/// `[app.promotion]`: how `kubedrift promote` moves the app between environments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPromotion {
    pub model: Spanned<PromotionModel>,
    #[serde(default)]
    pub files: Vec<Spanned<String>>,
    pub image: Option<Spanned<String>>,
    pub values_file: Option<Spanned<String>>,
    pub values_key: Option<Spanned<String>>,
    /// Value model: the values to copy.
    #[serde(default)]
    pub copy: Vec<RawValueCopy>,
}

/// `{ file, path }` (and optionally `target_file`, `target_path` when the target keeps the
/// value elsewhere): one value the value model copies from the source environment's file to
/// the target's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawValueCopy {
    pub file: Spanned<String>,
    pub path: Spanned<String>,
    pub target_file: Option<Spanned<String>>,
    pub target_path: Option<Spanned<String>>,
}

/// `chart = { repo = "https://...", name = "web", version = "1.2.3" }`: a chart from a Helm
/// chart repository; `version` may be a table of environment = version.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChart {
    pub repo: Spanned<String>,
    pub name: Spanned<String>,
    pub version: Spanned<RawChartVersion>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawChartVersion {
    One(String),
    PerEnvironment(BTreeMap<String, String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHelm {
    pub release_name: Option<Spanned<String>>,
    #[serde(default)]
    pub values: Vec<Spanned<String>>,
    #[serde(default)]
    pub set: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscover {
    pub repo: Option<Spanned<String>>,
    pub pattern: Spanned<String>,
    pub renderer: Option<RendererKind>,
    pub namespace: Option<Spanned<String>>,
    #[serde(default)]
    pub ignore: Vec<Spanned<RawIgnoreRule>>,
}

/// An ignore rule as written: [`IgnoreRule`] with its pointers' places kept for errors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIgnoreRule {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub json_pointers: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `path = "apps/web/envs/{env}"` or `path = { dev = "...", prod = "..." }`.
#[derive(Debug)]
pub(super) enum RawPath {
    Template(String),
    PerEnvironment(BTreeMap<String, Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PathVisitor;
        impl<'de> Visitor<'de> for PathVisitor {
            type Value = RawPath;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path string (may contain {env}) or a table of environment = path")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPath, E> {
                Ok(RawPath::Template(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawPath, A::Error> {
                let mut paths = BTreeMap::new();
                while let Some((env, path)) = map.next_entry::<String, Spanned<String>>()? {
                    if paths.insert(env.clone(), path).is_some() {
                        return Err(de::Error::custom(format!(
                            "environment `{env}` listed twice"
                        )));
                    }
                }
                Ok(RawPath::PerEnvironment(paths))
            }
        }
        deserializer.deserialize_any(PathVisitor)
    }
}

/// The keys serde accepts for a `Deserialize` struct, read from the derive itself so that the
/// "did you mean" list can never drift from the real model.
pub(super) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    match T::deserialize(FieldsProbe) {
        Err(ProbeResult(fields)) => fields,
        Ok(_) => &[],
    }
}

/// A deserializer that only answers `deserialize_struct` by capturing the field list.
struct FieldsProbe;

#[derive(Debug)]
struct ProbeResult(&'static [&'static str]);

impl fmt::Display for ProbeResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fields probe")
    }
}

impl std::error::Error for ProbeResult {}

impl de::Error for ProbeResult {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        ProbeResult(&[])
    }
}

impl<'de> Deserializer<'de> for FieldsProbe {
    type Error = ProbeResult;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ProbeResult> {
        Err(ProbeResult(&[]))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ProbeResult> {
        Err(ProbeResult(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Each table kind of the file with its human label and accepted keys, for error messages.
pub(super) fn sections() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("the top level", fields_of::<RawConfig>()),
        ("[settings]", fields_of::<RawSettings>()),
        ("[[repo]]", fields_of::<RawRepo>()),
        ("[[environment]]", fields_of::<RawEnvironment>()),
        ("[[app]]", fields_of::<RawApp>()),
        ("[app.helm]", fields_of::<RawHelm>()),
        ("[app.promotion]", fields_of::<RawPromotion>()),
        ("[app.chart]", fields_of::<RawChart>()),
        (
            "a value copy ([app.promotion] copy)",
            fields_of::<RawValueCopy>(),
        ),
        ("[[discover]]", fields_of::<RawDiscover>()),
        ("[[source]]", fields_of::<RawSource>()),
        (
            "an ignore rule ([[app.ignore]])",
            fields_of::<RawIgnoreRule>(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ignore::IgnoreRule;

    #[test]
    fn probe_reads_field_lists_from_the_derive() {
        assert_eq!(
            fields_of::<RawRepo>(),
            &["name", "path", "url", "default_branch"]
        );
        assert!(fields_of::<RawEnvironment>().contains(&"ref"));
        assert_eq!(
            fields_of::<RawIgnoreRule>(),
            fields_of::<IgnoreRule>(),
            "an ignore rule as written has exactly the engine's fields"
        );
        // Every section's field list is distinct, so a list identifies its section.
        let all = sections();
        for (i, (_, a)) in all.iter().enumerate() {
            assert!(!a.is_empty());
            for (_, b) in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
