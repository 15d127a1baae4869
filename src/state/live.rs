//! Live driver.
