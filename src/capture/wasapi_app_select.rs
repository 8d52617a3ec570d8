//! What an application capture's selection means on Windows, resolved at start (on the JS
//! thread, before any audio object is touched): the process trees to open a process loopback
//! client on, the processes whose exit ends the capture, and the label `stats()` shows.
//!
//! - `{ pid }`: that process's tree; `AppNotFound` if no process has the id.
//! - `{ name }`: the processes with an audio session (`wasapi_app_list.rs`) whose name, binary
//!   or binary's stem is `name` (case-insensitive), as they are at start; one tree per match that
//!   does not descend from another match (a client includes descendants: a descendant's own
//!   client would capture it twice); `AppNotFound` if none.
//! - `loopback: { exclude: [pid] }`: everything but that tree; `UnsupportedConfig` for more than
//!   one pid (process loopback excludes exactly one tree), `AppNotFound` if it does not exist.
//!
//! Threads: the JS thread.

use super::app_config::AppSelect;
use super::wasapi_activate::Tree;
use super::wasapi_app_list::list;
use super::wasapi_process::{binary, open, parents, Opened, Process};
use super::wasapi_tree::{names, stem, tree_roots};
use crate::core::MAX_INPUTS;
use crate::error::{Error, ErrorKind};

/// What a selection resolves to at start.
pub struct Plan {
    pub trees: Vec<Tree>,
    /// The processes whose exit ends the capture (once all of them exited). Empty when one of
    /// the trees' processes may not be waited on (protected, another user's): such a capture
    /// runs until stopped, as an `exclude` one does.
    pub watch: Vec<Process>,
    pub pids: Vec<u32>,
    pub label: String,
}

/// The applications with an audio session, as "name (pid n)" for messages.
fn playing() -> String {
    match list() {
        Ok(apps) if apps.is_empty() => "none".into(),
        Ok(apps) => apps
            .iter()
            .map(|a| format!("{} (pid {})", a.name, a.pid))
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => "unknown (the audio sessions cannot be listed here)".into(),
    }
}

/// A pid's process, or `AppNotFound` (before any audio object is touched).
fn existing(pid: u32, what: &str) -> Result<Option<Process>, Error> {
    match open(pid) {
        Opened::Running(p) => Ok(Some(p)),
        Opened::Denied => Ok(None),
        Opened::Missing => Err(Error::new(
            ErrorKind::AppNotFound,
            format!(
                "no process with pid {pid}{what}; playing now: {}",
                playing()
            ),
        )),
    }
}

/// Resolves `select` (see the module docs).
///
/// # Errors
/// [`ErrorKind::AppNotFound`], or [`ErrorKind::UnsupportedConfig`] for more than one excluded
/// pid or more process trees than the mixer takes; `{ name }`: what listing the sessions failed
/// with.
pub fn resolve(select: &AppSelect) -> Result<Plan, Error> {
    match select {
        AppSelect::Pid(pid) => {
            let watch = existing(*pid, "")?.into_iter().collect();
            let label = list()
                .ok()
                .and_then(|apps| apps.into_iter().find(|a| a.pid == *pid).map(|a| a.name))
                .or_else(|| binary(*pid).map(|b| stem(&b).to_string()))
                .unwrap_or_else(|| format!("pid {pid}"));
            Ok(Plan {
                trees: vec![Tree::Include(*pid)],
                watch,
                pids: vec![*pid],
                label,
            })
        }
        AppSelect::Name(name) => {
            let apps = list()?;
            let pids: Vec<u32> = apps
                .iter()
                .filter(|a| names(name, &a.name, &a.binary))
                .map(|a| a.pid)
                .collect();
            if pids.is_empty() {
                return Err(Error::new(
                    ErrorKind::AppNotFound,
                    format!(
                        "no application named '{name}' has an audio session; playing now: {}",
                        playing()
                    ),
                ));
            }
            let roots = tree_roots(&pids, &parents());
            if roots.len() > MAX_INPUTS {
                return Err(Error::new(
                    ErrorKind::UnsupportedConfig,
                    format!("'{name}' matches {} process trees; at most {MAX_INPUTS} are captured at once", roots.len()),
                ));
            }
            // A match that exited since it was listed is left out; one this process may not
            // wait on leaves the capture to run until stopped (its exit would go unnoticed).
            let (mut trees, mut watch, mut blind) = (Vec::new(), Vec::new(), false);
            for pid in roots {
                match open(pid) {
                    Opened::Running(p) => {
                        trees.push(Tree::Include(pid));
                        watch.push(p);
                    }
                    Opened::Denied => {
                        trees.push(Tree::Include(pid));
                        blind = true;
                    }
                    Opened::Missing => {}
                }
            }
            if trees.is_empty() {
                return Err(Error::new(
                    ErrorKind::AppNotFound,
                    format!("every process named '{name}' exited"),
                ));
            }
            if blind {
                watch.clear();
            }
            Ok(Plan {
                trees,
                watch,
                pids,
                label: name.clone(),
            })
        }
        AppSelect::Exclude(pids) => {
            let [pid] = pids[..] else {
                return Err(Error::new(
                    ErrorKind::UnsupportedConfig,
                    format!(
                        "Windows process loopback excludes one process tree; loopback.exclude has {} pids",
                        pids.len()
                    ),
                ));
            };
            existing(pid, " to exclude")?;
            Ok(Plan {
                trees: vec![Tree::Exclude(pid)],
                watch: Vec::new(),
                pids: Vec::new(),
                label: format!("everything but pid {pid}"),
            })
        }
    }
}
