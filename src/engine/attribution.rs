//! Drift attribution: which field manager last wrote each differing field and when, and the
//! direction of the drift (live changed, Git changed, or both).
