//! An EC2 workstation's Amazon DCV permissions file: who may do what in its console
//! session. DCV enforces it on the instance, whatever a client does. The user data writes
//! the first one (`{{permissions}}`); the agent's permissions watch
//! (`deploy/ec2/studio-portal-permissions.sh`, fed by `permissions.rs` at the top of the
//! crate) writes each later one and applies it with `dcv set-permissions`.
//!
//! - The owner (`%owner%`, the OS user the session was created for) may use everything,
//!   but copy and paste only when the launch profile's clipboardMode is ENABLED.
//! - A colleague a workstation is shared with (and an admin watching for support, whose
//!   view is a view-only share) gets a line of their own under their studio user id,
//!   which `/dcv/verify` names them by: `display pointer` to see, and with control the
//!   keyboard and mouse too (and copy and paste as the owner has them).
//!
//! DCV knows people only by the name the verifier gives, so a colleague whose user id is
//! the owner's DCV name would be the owner: they get no line here, and the verifier says
//! no to them (`dcv.rs`).

use crate::lifecycle::SessionRecord;
use nimble_model::ShareMode;

/// The name DCV knows `record`'s owner by: their OS user on the workstation (the
/// profile's `ec2.os_users`), or their studio user id; `None` for a session with neither.
pub fn owner_name(record: &SessionRecord) -> Option<String> {
    let os_user = record.driver.as_ref().and_then(|link| link.os_user.clone());
    os_user.or_else(|| record.session.owned_by.clone())
}

/// The permissions file for a session whose owner DCV knows as `owner`, with the
/// clipboard as the profile says, shared with `guests` (user id and mode).
pub fn permissions_file(owner: &str, clipboard: bool, guests: &[(&str, ShareMode)]) -> String {
    let clipboard_rule = if clipboard { "allow" } else { "deny" };
    let mut file = format!(
        "[permissions]\n%owner% allow builtin\n%owner% {clipboard_rule} clipboard-copy clipboard-paste\n"
    );
    for (user, mode) in guests {
        if *user == owner || !is_plain_name(user) {
            continue;
        }
        file.push_str(&format!("{user} allow display pointer\n"));
        if *mode == ShareMode::Control {
            file.push_str(&format!("{user} allow keyboard mouse\n"));
            if clipboard {
                file.push_str(&format!("{user} allow clipboard-copy clipboard-paste\n"));
            }
        }
    }
    file
}

/// Whether `user` reads as one plain user in the file: not a group (`group:`,
/// `osgroup:`), not `%owner%` or `%any%`, no space or line break. Share ids are already
/// checked to be this (`operations/shares.rs`); the file never trusts that alone.
fn is_plain_name(user: &str) -> bool {
    (1..=64).contains(&user.len())
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_has_everything_but_the_clipboard_the_profile_denies() {
        assert_eq!(
            permissions_file("alice_ws", false, &[]),
            "[permissions]\n%owner% allow builtin\n%owner% deny clipboard-copy clipboard-paste\n"
        );
        assert!(permissions_file("alice_ws", true, &[])
            .ends_with("%owner% allow clipboard-copy clipboard-paste\n"));
    }

    #[test]
    fn a_viewer_sees_and_a_colleague_with_control_uses_keys_and_mouse() {
        let guests = [("bob", ShareMode::ViewOnly), ("carol", ShareMode::Control)];
        let file = permissions_file("alice_ws", true, &guests);
        assert!(file.contains("bob allow display pointer\n"));
        assert!(!file.contains("bob allow keyboard"), "{file}");
        assert!(file.contains("carol allow display pointer\ncarol allow keyboard mouse\n"));
        assert!(file.contains("carol allow clipboard-copy clipboard-paste\n"));
        let closed = permissions_file("alice_ws", false, &guests);
        assert!(!closed.contains("carol allow clipboard"), "{closed}");
    }

    #[test]
    fn a_name_that_is_the_owner_or_not_one_plain_user_gets_no_line() {
        let guests = [
            ("alice_ws", ShareMode::Control),
            ("group:artists", ShareMode::Control),
            ("%any%", ShareMode::ViewOnly),
            ("bob allow builtin\nmallory", ShareMode::ViewOnly),
            ("", ShareMode::ViewOnly),
        ];
        assert_eq!(
            permissions_file("alice_ws", false, &guests),
            permissions_file("alice_ws", false, &[])
        );
    }
}
