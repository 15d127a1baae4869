//! `update` without a terminal: messages in, model and effects out.
