//! Which OS user each artist's local desktops run as (`os_users`, `default_os_user`), and
//! the checks that keep a typo or a missing account from running anyone as the wrong user.

use super::{ConfigError, Studio};

impl Studio {
    /// The OS user that `owner`'s desktops run as: `Ok(None)` is local-studio's own user,
    /// which only a studio without a mapping uses. With a mapping, an artist in neither
    /// `os_users` nor `default_os_user` is refused (fail closed: never the server's user,
    /// which may be root), with a message that names the keys to set.
    pub fn os_user(&self, owner: &str) -> Result<Option<&str>, String> {
        match self.os_users.get(owner).or(self.default_os_user.as_ref()) {
            Some(user) => Ok(Some(user)),
            None if self.os_users.is_empty() => Ok(None),
            None => Err(format!(
                "{owner:?} has no OS user on this host: studio {} maps artists to OS users but neither `os_users.{owner}` nor `default_os_user` names one for them; ask your studio's administrator",
                self.studio_id
            )),
        }
    }

    /// Refuses a mapping that names an artist the studio does not have (a typo would run
    /// that artist as the default user), or an OS user that `usable` rejects (on a real
    /// server: one that does not exist, or another user while local-studio is not root).
    pub(super) fn check_os_users<E: std::fmt::Display>(
        &self,
        usable: impl Fn(&str) -> Result<(), E>,
    ) -> Result<(), ConfigError> {
        let studio = &self.studio_id;
        for artist in self.os_users.keys() {
            if !self.users.is_empty() && !self.users.contains(artist) {
                return Err(ConfigError::Invalid(format!(
                    "studio {studio}: os_users maps {artist:?}, who is not in its users"
                )));
            }
        }
        let named = self
            .os_users
            .iter()
            .map(|(artist, os_user)| (format!("os_users.{artist}"), os_user))
            .chain(
                self.default_os_user
                    .iter()
                    .map(|os_user| ("default_os_user".to_owned(), os_user)),
            );
        for (key, os_user) in named {
            usable(os_user).map_err(|e| {
                ConfigError::Invalid(format!(
                    "studio {studio}: {key} = {os_user:?} cannot be used: {e}"
                ))
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{StudioConfig, DEMO_TOML};

    #[test]
    fn artists_map_to_os_users_with_a_default() {
        let text = DEMO_TOML.replace(
            "max_sessions_per_user = 6",
            "max_sessions_per_user = 6\nos_users = { alice = \"alice\", bob = \"render-bob\" }",
        );
        let config: StudioConfig = toml::from_str(&text).unwrap();
        let mut studio = config.studio("demo-studio").unwrap().clone();
        let exists = |user: &str| match user {
            "alice" | "render-bob" | "artists" => Ok(()),
            _ => Err("there is no such user"),
        };
        studio.check_os_users(exists).unwrap();
        assert_eq!(studio.os_user("bob"), Ok(Some("render-bob")));
        let refused = studio
            .os_user("carol")
            .expect_err("an unmapped artist is refused");
        assert!(
            refused.contains("os_users.carol") && refused.contains("default_os_user"),
            "{refused}"
        );
        studio.default_os_user = Some("artists".into());
        assert_eq!(studio.os_user("carol"), Ok(Some("artists")));
        assert_eq!(studio.os_user("alice"), Ok(Some("alice")));
        studio.os_users.clear();
        studio.default_os_user = None;
        assert_eq!(
            studio.os_user("carol"),
            Ok(None),
            "no mapping: local-studio's own user"
        );

        studio.default_os_user = Some("nobody-here".into());
        let error = studio.check_os_users(exists).unwrap_err().to_string();
        assert!(
            error.contains("demo-studio")
                && error.contains("default_os_user")
                && error.contains("nobody-here")
                && error.contains("no such user"),
            "{error}"
        );
        studio.default_os_user = None;
        studio.os_users.insert("dave".into(), "alice".into());
        let error = studio.check_os_users(exists).unwrap_err().to_string();
        assert!(
            error.contains("\"dave\", who is not in its users"),
            "{error}"
        );
    }

    #[test]
    fn an_os_user_that_does_not_exist_fails_the_start() {
        let text = DEMO_TOML.replace(
            "max_sessions_per_user = 6",
            "max_sessions_per_user = 6\nos_users = { bob = \"no-such-render-user\" }",
        );
        let error = StudioConfig::parse(&text).unwrap_err().to_string();
        assert!(
            error.contains("studio demo-studio: os_users.bob = \"no-such-render-user\"")
                && error.contains("no such user"),
            "{error}"
        );
    }
}
