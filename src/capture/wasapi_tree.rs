//! Plain logic of the Windows application capture, compiled and tested on every platform: which
//! matching processes get a process loopback client of their own (one per process tree), and
//! what a `{ name }` selection matches.
//!
//! Threads: the JS thread (a capture's start, `listApplications()`).

use std::collections::HashMap;

/// A file name without its extension ("chrome.exe" → "chrome").
pub fn stem(binary: &str) -> &str {
    binary.rsplit_once('.').map_or(binary, |(s, _)| s)
}

/// Whether `want` (a `{ name }` selection) names an application: its name, its executable's
/// file name, or that name without extension, compared case-insensitively.
pub fn names(want: &str, name: &str, binary: &str) -> bool {
    let want = want.to_lowercase();
    [name, binary, stem(binary)]
        .iter()
        .any(|n| n.to_lowercase() == want)
}

/// The processes of `pids` that do not descend from another of `pids` (one process loopback
/// client per tree: a client includes the target's descendants, so a descendant's own client
/// would capture its audio twice).
/// If the links cycle through the matches themselves (pids reused), every match is kept.
pub fn tree_roots(pids: &[u32], parents: &HashMap<u32, u32>) -> Vec<u32> {
    let roots: Vec<u32> = pids
        .iter()
        .copied()
        .filter(|&pid| {
            let mut at = pid;
            // Bounded: a pid reused after its parent exited can make the parent links cycle.
            for _ in 0..64 {
                match parents.get(&at) {
                    Some(&p) if p != 0 && p != at => {
                        if pids.contains(&p) {
                            return false;
                        }
                        at = p;
                    }
                    _ => break,
                }
            }
            true
        })
        .collect();
    if roots.is_empty() {
        pids.to_vec()
    } else {
        roots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(pairs: &[(u32, u32)]) -> HashMap<u32, u32> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn stem_drops_only_the_last_extension() {
        assert_eq!(stem("chrome.exe"), "chrome");
        assert_eq!(stem("my.app.exe"), "my.app");
        assert_eq!(stem("noext"), "noext");
        assert_eq!(stem(""), "");
    }

    #[test]
    fn a_name_matches_the_name_the_binary_or_its_stem_in_any_case() {
        assert!(names("Firefox", "firefox", "firefox.exe"));
        assert!(names("FIREFOX.EXE", "Mozilla Firefox", "firefox.exe"));
        assert!(names("mozilla firefox", "Mozilla Firefox", "firefox.exe"));
        assert!(!names("fire", "firefox", "firefox.exe"));
        assert!(!names("exe", "x", "firefox.exe"));
    }

    #[test]
    fn descendants_of_a_match_get_no_client_of_their_own() {
        // 10 → 20 → 30 (chain), 40 unrelated, 50 child of a non-match 60.
        let p = links(&[(10, 4), (20, 10), (30, 20), (40, 4), (50, 60), (60, 4)]);
        assert_eq!(tree_roots(&[10, 30, 40, 50], &p), vec![10, 40, 50]);
        assert_eq!(tree_roots(&[20, 30], &p), vec![20]);
        assert_eq!(tree_roots(&[30], &p), vec![30]);
    }

    #[test]
    fn unknown_parents_self_parents_and_pid_0_end_the_walk() {
        let p = links(&[(8, 8), (12, 0), (16, 999)]);
        assert_eq!(tree_roots(&[8, 12, 16], &p), vec![8, 12, 16]);
        assert_eq!(tree_roots(&[7], &HashMap::new()), vec![7]);
    }

    #[test]
    fn parent_links_that_cycle_through_the_matches_keep_every_match() {
        // Reused pids: 100's parent is 200 and 200's is 100.
        let p = links(&[(100, 200), (200, 100)]);
        assert_eq!(tree_roots(&[100, 200], &p), vec![100, 200]);
        // A cycle among non-matches ends (bounded walk) without dropping the match.
        let q = links(&[(5, 6), (6, 7), (7, 6)]);
        assert_eq!(tree_roots(&[5], &q), vec![5]);
    }
}
