//! The OS keyring: where a long-term key is kept out of plain text (`keys`, above, says what
//! is kept and in what form). One item per profile, found by two attributes: `service` (always
//! `mfa-env`) and `username` (the profile's name), as the keyring crates' Secret Service store
//! names them, so that `secret-tool search service mfa-env` lists them.
//!
//! - Linux: the Secret Service (gnome-keyring, KeePassXC, KWallet's bridge) over the session
//!   D-Bus (`sys::dbus`, in a few hundred lines of Rust) in a "plain" session: the secret crosses the
//!   user's own bus unencrypted, which only the user's processes (and root) can read, as they
//!   can read the unlocked keyring itself. A keyring that is locked is never unlocked from
//!   here: Secret Service answers an unlock, a write into a locked collection or a delete with
//!   a "prompt" object, and waiting on one would hang where no dialog can be shown (a remote
//!   shell, a container); mfa-env never follows a prompt and says that the keyring is locked,
//!   naming it. Every call is bounded (`CALL_TIMEOUT`), the whole operation too (`TIMEOUT`).
//! - macOS: the login Keychain, through keyring-core's Apple store (a generic password item of
//!   service `mfa-env` and account PROFILE). The Keychain itself shows its dialogs (it may ask
//!   for the login password when the Keychain is locked, or to allow mfa-env the item).
//! - Elsewhere: no keyring; every call says so.

use zeroize::Zeroizing;

/// An item as the keyring holds it.
pub struct Stored {
    /// The secret, cleared on drop.
    pub secret: Zeroizing<Vec<u8>>,
    /// When the item was created (seconds since the epoch), when the keyring says.
    pub created: Option<u64>,
}

/// The users with an item, each with when it was created (seconds since the epoch) if known.
pub type Users = Vec<(String, Option<u64>)>;

/// Why the keyring did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The keyring (named) is locked; nothing was asked of the user.
    Locked(String),
    /// There is no keyring to ask (why).
    Absent(String),
    /// It answered with an error (what it said).
    Failed(String),
}

/// The keyring's name, for messages.
pub fn name() -> &'static str {
    imp::NAME
}

/// What to do when the keyring is locked, for messages.
pub fn unlock_hint() -> &'static str {
    imp::UNLOCK_HINT
}

/// The item of `user`, if there is one.
pub fn read(service: &str, user: &str) -> Result<Option<Stored>, Failure> {
    imp::read(service, user)
}

/// Store `secret` as `user`'s item (replacing the one there), labelled `label`.
pub fn write(service: &str, user: &str, label: &str, secret: &[u8]) -> Result<(), Failure> {
    imp::write(service, user, label, secret)
}

/// Delete `user`'s item; whether there was one.
pub fn delete(service: &str, user: &str) -> Result<bool, Failure> {
    imp::delete(service, user)
}

/// Every user with an item of `service`, and when it was created; `None` when the keyring
/// cannot be searched.
pub fn users(service: &str) -> Result<Option<Users>, Failure> {
    imp::users(service)
}

#[cfg(target_os = "linux")]
mod imp {
    //! The Secret Service API (freedesktop.org), the few calls mfa-env needs, over `sys::dbus`.

    use std::time::Duration;

    use zeroize::Zeroizing;

    use super::super::dbus::{Arg, Bus, CallError, Value};
    use super::{Failure, Stored, Users};

    /// One D-Bus call: a local service answers in milliseconds.
    const CALL_TIMEOUT: Duration = Duration::from_secs(5);
    /// One whole operation (connect, open a session, search, read).
    const TIMEOUT: Duration = Duration::from_secs(10);

    pub const NAME: &str = "the Secret Service keyring";
    pub const UNLOCK_HINT: &str = "unlock it (log in to the desktop, open Passwords and Keys (seahorse), or run `gnome-keyring-daemon --unlock` and type its password) and run mfa-env again";

    const DEST: &str = "org.freedesktop.secrets";
    const ROOT: &str = "/org/freedesktop/secrets";
    const SERVICE: &str = "org.freedesktop.Secret.Service";
    const COLLECTION: &str = "org.freedesktop.Secret.Collection";
    const ITEM: &str = "org.freedesktop.Secret.Item";
    const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

    fn failure(what: &str, e: CallError) -> Failure {
        match e {
            CallError::NoBus(why) => {
                Failure::Absent(format!("no session D-Bus to reach it on ({why})"))
            }
            CallError::Error(name, _)
                if name == "org.freedesktop.DBus.Error.ServiceUnknown"
                    || name == "org.freedesktop.DBus.Error.NameHasNoOwner" =>
            {
                Failure::Absent("no Secret Service runs on the session D-Bus".into())
            }
            CallError::Error(name, _) if name == "org.freedesktop.Secret.Error.IsLocked" => {
                Failure::Locked("the keyring".into())
            }
            CallError::Error(name, message) => {
                Failure::Failed(format!("{what}: {name}: {message}"))
            }
            CallError::Failed(why) => Failure::Failed(format!("{what}: {why}")),
        }
    }

    /// The session bus and a plain Secret Service session on it.
    struct Secrets {
        bus: Bus,
        session: String,
    }

    fn unexpected(what: &str) -> Failure {
        Failure::Failed(format!(
            "{what}: an answer of another form than the Secret Service's"
        ))
    }

    impl Secrets {
        fn open() -> Result<Secrets, Failure> {
            let mut bus =
                Bus::session(CALL_TIMEOUT, TIMEOUT).map_err(|e| failure("connecting", e))?;
            let reply = bus
                .call(
                    DEST,
                    ROOT,
                    SERVICE,
                    "OpenSession",
                    &[Arg::Str("plain"), Arg::VarStr("")],
                )
                .map_err(|e| failure("opening a session", e))?;
            let session = reply
                .get(1)
                .and_then(Value::str)
                .ok_or_else(|| unexpected("opening a session"))?
                .to_owned();
            Ok(Secrets { bus, session })
        }

        fn call(
            &mut self,
            path: &str,
            iface: &str,
            method: &str,
            args: &[Arg],
        ) -> Result<Vec<Value>, Failure> {
            self.bus
                .call(DEST, path, iface, method, args)
                .map_err(|e| failure(method, e))
        }

        fn property(&mut self, path: &str, iface: &str, name: &str) -> Result<Value, Failure> {
            self.call(path, PROPERTIES, "Get", &[Arg::Str(iface), Arg::Str(name)])?
                .into_iter()
                .next()
                .ok_or_else(|| unexpected(name))
        }

        /// Items with these attributes: (unlocked, locked).
        fn search(
            &mut self,
            attributes: &[(&str, &str)],
        ) -> Result<(Vec<String>, Vec<String>), Failure> {
            let reply = self.call(ROOT, SERVICE, "SearchItems", &[Arg::StrDict(attributes)])?;
            let paths = |v: Option<&Value>| -> Vec<String> {
                v.map(Value::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Value::str)
                    .map(str::to_owned)
                    .collect()
            };
            Ok((paths(reply.first()), paths(reply.get(1))))
        }

        /// The label of the collection that holds `item` (its parent path).
        fn keyring_of(&mut self, item: &str) -> String {
            let collection = item.rsplit_once('/').map_or(item, |(parent, _)| parent);
            self.collection_name(collection)
        }

        fn collection_name(&mut self, collection: &str) -> String {
            match self.property(collection, COLLECTION, "Label") {
                Ok(label) if label.str().is_some_and(|l| !l.is_empty()) => {
                    format!("keyring '{}'", label.str().unwrap_or_default())
                }
                _ => format!("keyring {collection}"),
            }
        }

        fn secret(&mut self, item: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
            let session = self.session.clone();
            let reply = self.call(item, ITEM, "GetSecret", &[Arg::Path(&session)])?;
            match reply.first().map(Value::items) {
                Some([_, _, Value::Bytes(value), _]) => Ok(value.clone()),
                _ => Err(unexpected("GetSecret")),
            }
        }

        fn created(&mut self, item: &str) -> Option<u64> {
            self.property(item, ITEM, "Created")
                .ok()
                .and_then(|v| v.int())
                .filter(|t| *t > 0)
        }
    }

    pub fn read(service: &str, user: &str) -> Result<Option<Stored>, Failure> {
        let mut ss = Secrets::open()?;
        let (unlocked, locked) = ss.search(&[("service", service), ("username", user)])?;
        if let Some(item) = unlocked.first() {
            let secret = ss.secret(item)?;
            let created = ss.created(item);
            return Ok(Some(Stored { secret, created }));
        }
        match locked.first() {
            Some(item) => Err(Failure::Locked(ss.keyring_of(item))),
            None => Ok(None),
        }
    }

    pub fn write(service: &str, user: &str, label: &str, secret: &[u8]) -> Result<(), Failure> {
        let mut ss = Secrets::open()?;
        let collection = ss.call(ROOT, SERVICE, "ReadAlias", &[Arg::Str("default")])?;
        let path = collection
            .first()
            .and_then(Value::str)
            .ok_or_else(|| unexpected("ReadAlias"))?
            .to_owned();
        if path == "/" {
            return Err(Failure::Absent(
                "the Secret Service has no default keyring".into(),
            ));
        }
        let locked = ss.property(&path, COLLECTION, "Locked")?.bool();
        if locked != Some(false) {
            return Err(Failure::Locked(ss.collection_name(&path)));
        }
        let attributes = [("service", service), ("username", user)];
        let properties = [
            ("org.freedesktop.Secret.Item.Label", Arg::VarStr(label)),
            (
                "org.freedesktop.Secret.Item.Attributes",
                Arg::VarStrDict(&attributes),
            ),
        ];
        let session = ss.session.clone();
        let reply = ss.call(
            &path,
            COLLECTION,
            "CreateItem",
            &[
                Arg::Props(&properties),
                Arg::Secret {
                    session: &session,
                    value: secret,
                    content_type: "text/plain; charset=utf8",
                },
                Arg::Bool(true),
            ],
        )?;
        let (item, prompt) = (
            reply.first().and_then(Value::str).unwrap_or("/"),
            reply.get(1).and_then(Value::str).unwrap_or("/"),
        );
        if item == "/" || prompt != "/" {
            // It asks for a prompt (locked after all): not followed.
            return Err(Failure::Locked(ss.collection_name(&path)));
        }
        Ok(())
    }

    pub fn delete(service: &str, user: &str) -> Result<bool, Failure> {
        let mut ss = Secrets::open()?;
        let (unlocked, locked) = ss.search(&[("service", service), ("username", user)])?;
        if let Some(item) = locked.first() {
            return Err(Failure::Locked(ss.keyring_of(item)));
        }
        for item in &unlocked {
            let reply = ss.call(item, ITEM, "Delete", &[])?;
            if reply.first().and_then(Value::str) != Some("/") {
                return Err(Failure::Locked(ss.keyring_of(item)));
            }
        }
        Ok(!unlocked.is_empty())
    }

    pub fn users(service: &str) -> Result<Option<Users>, Failure> {
        let mut ss = Secrets::open()?;
        let (unlocked, locked) = ss.search(&[("service", service)])?;
        if let Some(item) = locked.first() {
            return Err(Failure::Locked(ss.keyring_of(item)));
        }
        let mut users = Vec::new();
        for item in &unlocked {
            let attributes = ss.property(item, ITEM, "Attributes")?;
            let user = attributes
                .pairs()
                .iter()
                .find(|(k, _)| k.str() == Some("username"))
                .and_then(|(_, v)| v.str())
                .map(str::to_owned);
            if let Some(user) = user {
                users.push((user, ss.created(item)));
            }
        }
        users.sort();
        Ok(Some(users))
    }
}

#[cfg(target_os = "macos")]
mod imp {
    //! The login Keychain, through keyring-core's Apple store.

    use std::sync::Arc;

    use apple_native_keyring_store::keychain::Store;
    use keyring_core::{CredentialStore, Entry, Error};
    use zeroize::Zeroizing;

    use super::{Failure, Stored, Users};

    pub const NAME: &str = "the macOS Keychain";
    pub const UNLOCK_HINT: &str = "unlock the login keychain (Keychain Access, or `security unlock-keychain`) and run mfa-env again";

    fn entry(service: &str, user: &str) -> Result<Entry, Failure> {
        let store: Arc<CredentialStore> = Store::new().map_err(failure)?;
        Entry::new_in_store(&store, service, user).map_err(failure)
    }

    fn failure(e: Error) -> Failure {
        match e {
            Error::NoStorageAccess(e) => Failure::Locked(format!("the login keychain ({e})")),
            Error::NoDefaultStore | Error::NotSupportedByStore(_) => {
                Failure::Absent(format!("the Keychain cannot be used ({e})"))
            }
            e => Failure::Failed(e.to_string()),
        }
    }

    pub fn read(service: &str, user: &str) -> Result<Option<Stored>, Failure> {
        match entry(service, user)?.get_secret() {
            Ok(secret) => Ok(Some(Stored {
                secret: Zeroizing::new(secret),
                created: None,
            })),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(failure(e)),
        }
    }

    pub fn write(service: &str, user: &str, _label: &str, secret: &[u8]) -> Result<(), Failure> {
        entry(service, user)?.set_secret(secret).map_err(failure)
    }

    pub fn delete(service: &str, user: &str) -> Result<bool, Failure> {
        match entry(service, user)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(failure(e)),
        }
    }

    pub fn users(_service: &str) -> Result<Option<Users>, Failure> {
        Ok(None)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod imp {
    use super::{Failure, Stored, Users};

    pub const NAME: &str = "the OS keyring";
    pub const UNLOCK_HINT: &str = "";

    fn absent<T>() -> Result<T, Failure> {
        Err(Failure::Absent(
            "mfa-env has no keyring store for this system yet".into(),
        ))
    }

    pub fn read(_: &str, _: &str) -> Result<Option<Stored>, Failure> {
        absent()
    }
    pub fn write(_: &str, _: &str, _: &str, _: &[u8]) -> Result<(), Failure> {
        absent()
    }
    pub fn delete(_: &str, _: &str) -> Result<bool, Failure> {
        absent()
    }
    pub fn users(_: &str) -> Result<Option<Users>, Failure> {
        absent()
    }
}
