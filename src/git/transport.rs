//! Credentials for git's network transports (push, fetch over https and ssh), from the
//! user's own git setup only: the ssh agent for ssh remotes, git's credential helpers
//! (`git credential fill`, run against the repo's own config) for https. Never from cluster
//! Secrets, never a terminal prompt (the TUI owns the terminal; CI has no stdin).
//!
//! libgit2 calls the credentials callback again whenever the server refuses what it was
//! given. Each kind of credential is therefore offered at most once per remote operation
//! ([`Attempts`]): asked a second time means refused, and the operation stops with a
//! message saying which credentials were refused — never a loop.
//!
//! Why `git credential fill` and not git2's `CredentialHelper`: the latter sends no `host`
//! for a remote whose host is an IP address, and git's `store` helper then answers with the
//! first credentials stored for *any* host of that protocol. git itself parses the URL and
//! applies `credential.<url>.*`, `useHttpPath` and the helpers exactly as `git push` does.

use git2::{Cred, CredentialType, RemoteCallbacks};
use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How long one credential helper run may take (a helper waiting on a keyring or a pinentry
/// that never comes must not hang a push or the live layer's fetch).
const HELPER_TIMEOUT: Duration = Duration::from_secs(60);

/// A username and password from a credential helper. Debug never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct UserPass {
    pub username: String,
    password: String,
}

impl std::fmt::Debug for UserPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UserPass({}, password hidden)", self.username)
    }
}

/// What the credentials callback does for one request from libgit2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The user name an ssh transport asks for before any key.
    Username(String),
    /// Ask the ssh agent for a key for this user.
    SshAgent(String),
    /// Ask git's credential helpers for a username and password for the URL.
    CredentialHelper,
    /// Negotiate/NTLM with the process's default credentials.
    Default,
    /// Stop the operation with this message: what was offered was refused, or nothing fits.
    Stop(String),
}

/// The credentials offered so far in one remote operation: each kind at most once.
#[derive(Debug, Default)]
pub struct Attempts {
    username: bool,
    agent: bool,
    helper: Option<(String, Option<UserPass>)>,
    default: bool,
    /// Why the operation was stopped, when the callback stopped it.
    stopped: Option<String>,
}

impl Attempts {
    /// The next step for a request of `allowed` credential types for `url`.
    pub fn next(&mut self, url: &str, username: Option<&str>, allowed: CredentialType) -> Step {
        let shown = crate::config::redact_url(url);
        let user = username.unwrap_or("git").to_string();
        let step = if allowed.contains(CredentialType::USERNAME) && !self.username {
            self.username = true;
            Step::Username(user)
        } else if allowed.contains(CredentialType::SSH_KEY) && !self.agent {
            self.agent = true;
            Step::SshAgent(user)
        } else if allowed.contains(CredentialType::SSH_KEY) {
            Step::Stop(format!(
                "ssh authentication to {shown} failed: the ssh agent offered no key the server \
                 accepted for user {user} (is ssh-agent running with the key added, \
                 SSH_AUTH_SOCK set?)"
            ))
        } else if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            match &self.helper {
                None => Step::CredentialHelper,
                Some((_, Some(given))) => Step::Stop(format!(
                    "authentication to {shown} failed: the server refused the credentials of \
                     user {} that git's credential helper gave",
                    given.username
                )),
                Some((_, None)) => Step::Stop(no_helper_credentials(&shown)),
            }
        } else if allowed.contains(CredentialType::DEFAULT) && !self.default {
            self.default = true;
            Step::Default
        } else {
            Step::Stop(format!(
                "authentication to {shown} failed: no credentials of a kind the server accepts \
                 (kubedrift uses the ssh agent and git's credential helpers)"
            ))
        };
        if let Step::Stop(reason) = &step {
            self.stopped = Some(reason.clone());
        }
        step
    }

    /// Record what the credential helper answered for `url`.
    pub fn helper_answered(&mut self, url: &str, answer: Option<UserPass>) {
        self.helper = Some((url.to_string(), answer));
    }

    /// Why the callback stopped the operation, if it did.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }
}

fn no_helper_credentials(shown: &str) -> String {
    format!(
        "authentication to {shown} failed: git's credential helpers have no credentials for it \
         (configure one: git config credential.helper ...; kubedrift never prompts)"
    )
}

/// The state of one remote operation's authentication, shared with its callbacks.
#[derive(Clone)]
pub struct Auth {
    repo: PathBuf,
    attempts: Rc<RefCell<Attempts>>,
}

impl Auth {
    /// Credentials for one push or fetch of the repo at `repo` (its git dir or work tree).
    pub fn new(repo: &Path) -> Auth {
        Auth {
            repo: repo.to_path_buf(),
            attempts: Rc::default(),
        }
    }

    /// Remote callbacks whose credentials come from the user's git setup, each offered once.
    pub fn callbacks<'a>(&self) -> RemoteCallbacks<'a> {
        let mut callbacks = RemoteCallbacks::new();
        let auth = self.clone();
        callbacks
            .credentials(move |url, username, allowed| auth.credentials(url, username, allowed));
        callbacks
    }

    fn credentials(
        &self,
        url: &str,
        username: Option<&str>,
        allowed: CredentialType,
    ) -> Result<Cred, git2::Error> {
        let step = self.attempts.borrow_mut().next(url, username, allowed);
        match step {
            Step::Username(user) => Cred::username(&user),
            Step::SshAgent(user) => Cred::ssh_key_from_agent(&user),
            Step::Default => Cred::default(),
            Step::Stop(reason) => Err(git2::Error::from_str(&reason)),
            Step::CredentialHelper => {
                let answer = credential_helper(&self.repo, "fill", url, username, None);
                self.attempts
                    .borrow_mut()
                    .helper_answered(url, answer.clone());
                match answer {
                    Some(given) => Cred::userpass_plaintext(&given.username, &given.password),
                    None => {
                        let reason = no_helper_credentials(&crate::config::redact_url(url));
                        self.attempts.borrow_mut().stopped = Some(reason.clone());
                        Err(git2::Error::from_str(&reason))
                    }
                }
            }
        }
    }

    /// Why the operation failed, when the credentials callback stopped it (libgit2's own
    /// message for that case may name only the last HTTP status).
    pub fn refused(&self) -> Option<String> {
        self.attempts.borrow().stopped().map(str::to_string)
    }

    /// Tell the credential helpers how the operation went, as git does: credentials the
    /// server accepted are approved (a cache helper keeps them), refused ones are rejected.
    pub fn finish(&self, succeeded: bool) {
        let attempts = self.attempts.borrow();
        let Some((url, Some(given))) = &attempts.helper else {
            return;
        };
        let refused = attempts.stopped.is_some();
        let action = match (succeeded, refused) {
            (true, _) => "approve",
            (false, true) => "reject",
            // Failed for another reason (network, a refused ref): the credentials are not
            // known to be wrong.
            (false, false) => return,
        };
        let _ = credential_helper(&self.repo, action, url, Some(&given.username), Some(given));
    }
}

/// Run `git credential <action>` for `url` with the repo's config (`GIT_DIR`), never
/// prompting: `fill` returns the helpers' username and password, None when they have none.
fn credential_helper(
    repo: &Path,
    action: &str,
    url: &str,
    username: Option<&str>,
    given: Option<&UserPass>,
) -> Option<UserPass> {
    let git_dir = git2::Repository::open(repo)
        .map(|r| r.path().to_path_buf())
        .unwrap_or_else(|_| repo.to_path_buf());
    let mut child = Command::new("git")
        .args(["credential", action])
        .env("GIT_DIR", &git_dir)
        .env_remove("GIT_WORK_TREE")
        // No terminal prompt and no askpass program: an empty GIT_ASKPASS makes git skip
        // core.askPass and SSH_ASKPASS, and GIT_TERMINAL_PROMPT=0 makes it fail instead.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("GCM_INTERACTIVE", "never")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut request = format!("url={url}\n");
    if let Some(user) = username.or(given.map(|g| g.username.as_str())) {
        request.push_str(&format!("username={user}\n"));
    }
    if let Some(given) = given {
        request.push_str(&format!("password={}\n", given.password));
    }
    request.push('\n');
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is not an error here: its answer decides.
        let _ = stdin.write_all(request.as_bytes());
    }
    let deadline = Instant::now() + HELPER_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let output = child.wait_with_output().ok()?;
    if !output.status.success() || action != "fill" {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
            .map(str::to_string)
    };
    Some(UserPass {
        username: field("username")?,
        password: field("password")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://git.example.com/shop/gitops.git";

    #[test]
    fn an_ssh_key_refused_once_stops_instead_of_asking_the_agent_again() {
        let mut attempts = Attempts::default();
        let ssh = "ssh://git.example.com/shop/gitops.git";
        assert_eq!(
            attempts.next(ssh, None, CredentialType::USERNAME),
            Step::Username("git".into())
        );
        assert_eq!(
            attempts.next(ssh, Some("git"), CredentialType::SSH_KEY),
            Step::SshAgent("git".into())
        );
        for _ in 0..3 {
            let step = attempts.next(ssh, Some("git"), CredentialType::SSH_KEY);
            assert!(
                matches!(&step, Step::Stop(m) if m.contains("ssh agent offered no key")),
                "{step:?}"
            );
        }
        assert!(attempts.stopped().is_some());
    }

    #[test]
    fn helper_credentials_refused_once_stop_and_never_show_the_password() {
        let mut attempts = Attempts::default();
        assert_eq!(
            attempts.next(URL, None, CredentialType::USER_PASS_PLAINTEXT),
            Step::CredentialHelper
        );
        let given = UserPass {
            username: "dana".into(),
            password: "s3cr3t".into(),
        };
        attempts.helper_answered(URL, Some(given.clone()));
        let step = attempts.next(URL, None, CredentialType::USER_PASS_PLAINTEXT);
        let Step::Stop(message) = step else {
            panic!("asked again after a refusal: {step:?}")
        };
        assert!(
            message.contains("refused the credentials of user dana"),
            "{message}"
        );
        assert!(!message.contains("s3cr3t") && !format!("{given:?}").contains("s3cr3t"));
    }

    #[test]
    fn no_helper_answer_stops_and_credentials_in_the_url_are_not_repeated() {
        let mut attempts = Attempts::default();
        let url = "https://dana:t0ken@git.example.com/x.git";
        assert_eq!(
            attempts.next(url, None, CredentialType::USER_PASS_PLAINTEXT),
            Step::CredentialHelper
        );
        attempts.helper_answered(url, None);
        let step = attempts.next(url, None, CredentialType::USER_PASS_PLAINTEXT);
        let Step::Stop(message) = step else {
            panic!("{step:?}")
        };
        assert!(message.contains("no credentials"), "{message}");
        assert!(!message.contains("t0ken"), "{message}");
    }
}
