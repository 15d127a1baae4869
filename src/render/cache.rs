//! A cache of successful renders keyed by (renderer, cache key), so that a commit that does
//! not touch an app's directory or anything it references re-renders nothing.

use super::{prepare, RenderError, RenderRequest, Rendered, RendererKind};
use std::collections::{HashMap, VecDeque};

/// Counters, for the status line and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Renders answered from the cache.
    pub hits: u64,
    /// Renders that ran the renderer (successful or not).
    pub renders: u64,
}

/// Successful renders by (renderer, cache key); the oldest entries are dropped beyond
/// `capacity`. Failures are not cached: a missing tool may be installed, and a failing
/// render is cheap to retry.
#[derive(Debug)]
pub struct RenderCache {
    entries: HashMap<(RendererKind, String), Rendered>,
    order: VecDeque<(RendererKind, String)>,
    capacity: usize,
    stats: CacheStats,
}

impl Default for RenderCache {
    fn default() -> Self {
        RenderCache::new(512)
    }
}

impl RenderCache {
    pub fn new(capacity: usize) -> Self {
        RenderCache {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            stats: CacheStats::default(),
        }
    }

    /// Render `req`, or return the cached result when nothing it depends on changed.
    /// The inputs are still read from the source (cheap) to compute the key.
    pub fn render(&mut self, req: &RenderRequest<'_>) -> Result<Rendered, RenderError> {
        let prepared = prepare(req)?;
        let key = (prepared.renderer(), prepared.cache_key().to_string());
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        self.stats.renders += 1;
        let rendered = prepared.run()?;
        self.insert(key, rendered.clone());
        Ok(rendered)
    }

    /// The cached render for `key` (from [`super::Prepared`]), for callers that run the
    /// renderer themselves outside a lock (parallel renders share one cache behind a mutex).
    pub fn get(&mut self, key: &(RendererKind, String)) -> Option<Rendered> {
        let hit = self.entries.get(key).cloned();
        if hit.is_some() {
            self.stats.hits += 1;
        }
        hit
    }

    /// Remember a successful render made outside [`RenderCache::render`].
    pub fn insert(&mut self, key: (RendererKind, String), rendered: Rendered) {
        if self.entries.insert(key.clone(), rendered).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
    }

    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }
}
