//! Value promotion, the general form of an image bump: copy the value at a YAML path in a
//! file of the source environment to a path in a file of the target (a chart version in an
//! Argo CD Application, `image.tag` in a values file, `images[name=web].newTag` in a
//! kustomization). Only the value's bytes change in the target file ([`super::yaml_path`]).

use super::yaml_path::{self, YamlPath};
use super::{read_file, FileEdit, PromoteError};
use crate::config::ValueCopy;
use git2::{Oid, Repository};
use std::collections::BTreeMap;

/// What the value model changes: the file edits, and one line per value that changes
/// (`file path`, for the commit message; values are not named, they may be secrets).
pub struct ValueEdits {
    pub edits: Vec<FileEdit>,
    pub changed: Vec<String>,
}

/// The edits copying each of `copies` from `source` (environment `from`) to `target`
/// (environment `to`). A value already equal at the target changes nothing.
pub fn edits(
    repo: &Repository,
    app: &str,
    source: Oid,
    from: &str,
    target: Oid,
    to: &str,
    copies: &[ValueCopy],
) -> Result<ValueEdits, PromoteError> {
    // Target files as edited so far, in first-touched order.
    let mut files: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut changed = Vec::new();
    for copy in copies {
        let source_file = copy.source_file(app, from);
        let target_file = copy.target_file(app, to);
        let path = parse_path(&copy.source_path(app, from))?;
        let target_path = parse_path(&copy.target_path(app, to))?;
        let source_text = read_text(repo, source, &source_file)?.ok_or_else(|| {
            PromoteError::Model(format!("{source_file} does not exist in {from}"))
        })?;
        if !files.contains_key(&target_file) {
            let text = read_text(repo, target, &target_file)?.ok_or_else(|| {
                PromoteError::Model(format!("{target_file} does not exist in {to}"))
            })?;
            files.insert(target_file.clone(), (text.clone(), text));
            order.push(target_file.clone());
        }
        let Some((_, current)) = files.get_mut(&target_file) else {
            continue;
        };
        let copied = yaml_path::copy(&source_text, &path, current, &target_path).map_err(|e| {
            PromoteError::Model(format!(
                "{source_file} {path} → {target_file} {target_path}: {e}"
            ))
        })?;
        if copied.old != copied.new {
            changed.push(format!("{target_file} {target_path}"));
            *current = copied.text;
        }
    }
    let edits = order
        .into_iter()
        .filter_map(|file| {
            let (old, new) = files.remove(&file)?;
            (old != new).then(|| FileEdit {
                path: file,
                old: Some(old.into_bytes()),
                new: new.into_bytes(),
            })
        })
        .collect();
    Ok(ValueEdits { edits, changed })
}

fn parse_path(text: &str) -> Result<YamlPath, PromoteError> {
    YamlPath::parse(text).map_err(|e| PromoteError::Config(format!("YAML path `{text}`: {e}")))
}

fn read_text(repo: &Repository, commit: Oid, path: &str) -> Result<Option<String>, PromoteError> {
    match read_file(repo, commit, path)? {
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| PromoteError::Model(format!("{path} is not UTF-8"))),
        None => Ok(None),
    }
}
