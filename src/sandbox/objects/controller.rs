//! The sandbox's controller loop, pure part: how status moves like a cluster's would.
