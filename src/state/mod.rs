//! State: desired vs live per app and environment, published as a snapshot plus a change stream.
