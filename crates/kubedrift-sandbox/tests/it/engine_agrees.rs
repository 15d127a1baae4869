//! The engine and the sandbox agree: an object the sandbox's server-side defaulting filled in
//! is still Synced with the manifest it came from (what the server adds is never drift).

use crate::shared::{arb_deployment, assert_pair_matches_verdict};
use kubedrift_core::engine::compare::{compare, CompareOptions, Verdict};
use kubedrift_core::model::group_of;
use proptest::prelude::*;

proptest! {
    #[test]
    fn prop_object_compared_with_itself_after_server_defaulting_is_synced(
        desired in arb_deployment()
    ) {
        let mut live = desired.clone();
        let api_version = desired["apiVersion"].as_str().unwrap_or("");
        let kind = desired["kind"].as_str().unwrap_or("");
        kubedrift_sandbox::objects::defaults::apply_defaults(group_of(api_version), kind, &mut live);
        prop_assert_eq!(compare(Some(&desired), Some(&live), &CompareOptions::default()), Verdict::Synced);
        assert_pair_matches_verdict(&desired, &live, &CompareOptions::default());
    }
}
