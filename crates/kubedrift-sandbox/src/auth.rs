//! Bearer-token authentication and the sandbox's two-role authorization.
//!
//! `admin` may do everything; `viewer` may only read (get, list, watch), and not Secrets (as
//! Kubernetes' built-in `view` role). Unknown or missing tokens are 401. Forbidden messages
//! use a real server's wording, which kubectl prints as is.

use super::errors::{qualified_resource, ApiError};
use serde_json::json;

/// Who a request is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum User {
    Admin,
    Viewer,
}

impl User {
    pub fn name(self) -> &'static str {
        match self {
            User::Admin => "admin",
            User::Viewer => "viewer",
        }
    }

    /// The groups a real cluster would put the user in: the admin is a cluster admin
    /// (`system:masters`), everyone is `system:authenticated`.
    pub fn groups(self) -> &'static [&'static str] {
        match self {
            User::Admin => &["system:masters", "system:authenticated"],
            User::Viewer => &["system:authenticated"],
        }
    }
}

/// The cluster's bearer tokens.
#[derive(Clone)]
pub struct Tokens {
    pub admin: String,
    pub viewer: String,
}

impl std::fmt::Debug for Tokens {
    /// Tokens are credentials: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { admin: <redacted>, viewer: <redacted> }")
    }
}

impl Tokens {
    /// Fresh random tokens.
    pub fn generate() -> Self {
        Tokens {
            admin: random_token(),
            viewer: random_token(),
        }
    }

    /// The user an `Authorization` header value authenticates as.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<User, ApiError> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        if constant_time_eq(token, &self.admin) {
            Ok(User::Admin)
        } else if constant_time_eq(token, &self.viewer) {
            Ok(User::Viewer)
        } else {
            Err(ApiError::unauthorized())
        }
    }
}

fn random_token() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..32)
        .map(|_| format!("{:x}", rng.random_range(0..16u8)))
        .collect()
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What a request wants to do, for authorization and Forbidden messages.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub plural: &'a str,
    pub subresource: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Whether `verb` only reads.
pub fn is_read_verb(verb: &str) -> bool {
    matches!(verb, "get" | "list" | "watch")
}

/// Allow or answer 403 Forbidden with the real server's message.
pub fn authorize(user: User, attrs: &Attributes<'_>) -> Result<(), ApiError> {
    // Like Kubernetes' built-in `view` role, viewers may read everything except Secrets.
    let viewer_may =
        is_read_verb(attrs.verb) && !(attrs.group.is_empty() && attrs.plural == "secrets");
    if user == User::Admin || viewer_may {
        return Ok(());
    }
    let qualified = qualified_resource(attrs.group, attrs.plural);
    let subject = match attrs.name {
        Some(name) => format!("{qualified} \"{name}\" is forbidden"),
        None => format!("{qualified} is forbidden"),
    };
    let resource = match attrs.subresource {
        Some(sub) => format!("{}/{sub}", attrs.plural),
        None => attrs.plural.to_string(),
    };
    let scope = match attrs.namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let message = format!(
        "{subject}: User \"{}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
        user.name(),
        attrs.verb,
        attrs.group
    );
    Err(
        ApiError::new(403, "Forbidden", message).with_details(json!({
            "name": attrs.name.unwrap_or(""),
            "group": attrs.group,
            "kind": attrs.plural,
        })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_cannot_write_with_real_server_wording() {
        let attrs = Attributes {
            verb: "patch",
            group: "apps",
            plural: "deployments",
            subresource: None,
            namespace: Some("shop"),
            name: Some("web"),
        };
        let err = authorize(User::Viewer, &attrs).expect_err("viewer write");
        assert_eq!(err.code, 403);
        assert_eq!(
            err.message,
            "deployments.apps \"web\" is forbidden: User \"viewer\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"shop\""
        );
        assert!(authorize(User::Admin, &attrs).is_ok());
        assert!(authorize(
            User::Viewer,
            &Attributes {
                verb: "list",
                ..attrs
            }
        )
        .is_ok());
    }

    #[test]
    fn viewer_may_not_read_secrets_like_the_builtin_view_role() {
        let attrs = Attributes {
            verb: "list",
            group: "",
            plural: "secrets",
            subresource: None,
            namespace: Some("shop"),
            name: None,
        };
        let err = authorize(User::Viewer, &attrs).expect_err("viewer list secrets");
        assert_eq!(
            err.message,
            "secrets is forbidden: User \"viewer\" cannot list resource \"secrets\" in API group \"\" in the namespace \"shop\""
        );
        assert!(authorize(User::Admin, &attrs).is_ok());
        assert!(authorize(
            User::Viewer,
            &Attributes {
                plural: "configmaps",
                ..attrs
            }
        )
        .is_ok());
    }

    #[test]
    fn tokens_authenticate_and_never_print() {
        let tokens = Tokens::generate();
        let header = format!("Bearer {}", tokens.viewer);
        assert_eq!(tokens.authenticate(Some(&header)), Ok(User::Viewer));
        assert_eq!(
            tokens.authenticate(Some("Bearer nope")).map_err(|e| e.code),
            Err(401)
        );
        assert_eq!(tokens.authenticate(None).map_err(|e| e.code), Err(401));
        assert!(!format!("{tokens:?}").contains(&tokens.admin));
    }
}
