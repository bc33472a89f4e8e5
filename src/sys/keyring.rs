//! The OS keyring: where a long-term key is kept out of plain text (`keys`, above, says what
//! is kept and in what form). One item per profile, found by two attributes: `service` (always
//! `mfa-env`) and `username` (the profile's name), as the keyring crates' Secret Service store
//! names them, so that `secret-tool search service mfa-env` lists them.
//!
//! - Linux: the Secret Service (gnome-keyring, KeePassXC, KWallet's bridge) over the session
//!   D-Bus, spoken with zbus (pure Rust, on tokio) in a "plain" session: the secret crosses the
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
    //! The Secret Service API (freedesktop.org), the few calls mfa-env needs.

    use std::collections::HashMap;
    use std::future::Future;
    use std::time::Duration;

    use zbus::Connection;
    use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};
    use zeroize::Zeroizing;

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

    /// The secret as Secret Service passes it: session, parameters, value, content type.
    type SecretStruct = (OwnedObjectPath, Vec<u8>, Vec<u8>, String);

    /// Run `work` on a thread of its own with a runtime of its own, bounded by TIMEOUT: the
    /// callers are sync, and may themselves run inside another runtime.
    fn run<T: Send, F>(work: impl FnOnce() -> F + Send) -> Result<T, Failure>
    where
        F: Future<Output = Result<T, Failure>>,
    {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| Failure::Failed(format!("cannot start: {e}")))?;
                    runtime.block_on(async {
                        tokio::time::timeout(TIMEOUT, work())
                            .await
                            .unwrap_or_else(|_| {
                                Err(Failure::Failed(format!(
                                    "no answer within {}s",
                                    TIMEOUT.as_secs()
                                )))
                            })
                    })
                })
                .join()
                .unwrap_or_else(|_| Err(Failure::Failed("its client stopped".into())))
        })
    }

    /// The session bus and a plain Secret Service session on it.
    struct Bus {
        conn: Connection,
        session: OwnedObjectPath,
    }

    async fn bounded<T>(
        what: &str,
        call: impl Future<Output = zbus::Result<T>>,
    ) -> Result<T, Failure> {
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(failure(what, e)),
            Err(_) => Err(Failure::Failed(format!(
                "{what}: no answer within {}s",
                CALL_TIMEOUT.as_secs()
            ))),
        }
    }

    fn failure(what: &str, e: zbus::Error) -> Failure {
        match &e {
            zbus::Error::MethodError(name, _, _)
                if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown"
                    || name.as_str() == "org.freedesktop.DBus.Error.NameHasNoOwner" =>
            {
                Failure::Absent("no Secret Service runs on the session D-Bus".into())
            }
            zbus::Error::MethodError(name, _, _)
                if name.as_str() == "org.freedesktop.Secret.Error.IsLocked" =>
            {
                Failure::Locked("the keyring".into())
            }
            _ => Failure::Failed(format!("{what}: {e}")),
        }
    }

    impl Bus {
        async fn open() -> Result<Bus, Failure> {
            let conn = match tokio::time::timeout(CALL_TIMEOUT, Connection::session()).await {
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) => {
                    return Err(Failure::Absent(format!(
                        "no session D-Bus to reach it on ({e})"
                    )));
                }
                Err(_) => {
                    return Err(Failure::Absent(format!(
                        "the session D-Bus did not answer within {}s",
                        CALL_TIMEOUT.as_secs()
                    )));
                }
            };
            let reply = bounded(
                "opening a session",
                conn.call_method(
                    Some(DEST),
                    ROOT,
                    Some(SERVICE),
                    "OpenSession",
                    &("plain", Value::from("")),
                ),
            )
            .await?;
            let (_, session): (OwnedValue, OwnedObjectPath) = reply
                .body()
                .deserialize()
                .map_err(|e| Failure::Failed(format!("opening a session: {e}")))?;
            Ok(Bus { conn, session })
        }

        async fn call<B, R>(
            &self,
            path: &str,
            iface: &str,
            method: &str,
            body: &B,
        ) -> Result<R, Failure>
        where
            B: serde::Serialize + zbus::zvariant::DynamicType,
            R: for<'d> serde::Deserialize<'d> + zbus::zvariant::Type,
        {
            let reply = bounded(
                method,
                self.conn
                    .call_method(Some(DEST), path, Some(iface), method, body),
            )
            .await?;
            reply
                .body()
                .deserialize::<R>()
                .map_err(|e| Failure::Failed(format!("{method}: {e}")))
        }

        async fn property<R>(&self, path: &str, iface: &str, name: &str) -> Result<R, Failure>
        where
            R: TryFrom<OwnedValue>,
        {
            let value: OwnedValue = self.call(path, PROPERTIES, "Get", &(iface, name)).await?;
            R::try_from(value)
                .map_err(|_| Failure::Failed(format!("{name}: not the expected type")))
        }

        /// Items with these attributes: (unlocked, locked).
        async fn search(
            &self,
            attributes: &HashMap<&str, &str>,
        ) -> Result<(Vec<OwnedObjectPath>, Vec<OwnedObjectPath>), Failure> {
            self.call(ROOT, SERVICE, "SearchItems", &(attributes,))
                .await
        }

        /// The label of the collection that holds `item` (its parent path).
        async fn keyring_of(&self, item: &str) -> String {
            let collection = item.rsplit_once('/').map_or(item, |(parent, _)| parent);
            self.collection_name(collection).await
        }

        async fn collection_name(&self, collection: &str) -> String {
            let label: Result<String, _> = self.property(collection, COLLECTION, "Label").await;
            match label {
                Ok(label) if !label.is_empty() => format!("keyring '{label}'"),
                _ => format!("keyring {collection}"),
            }
        }

        async fn secret(&self, item: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
            let (_, _, value, _): SecretStruct = self
                .call(item, ITEM, "GetSecret", &(&self.session,))
                .await?;
            Ok(Zeroizing::new(value))
        }

        async fn created(&self, item: &str) -> Option<u64> {
            self.property::<u64>(item, ITEM, "Created")
                .await
                .ok()
                .filter(|t| *t > 0)
        }
    }

    fn attributes<'a>(service: &'a str, user: &'a str) -> HashMap<&'a str, &'a str> {
        HashMap::from([("service", service), ("username", user)])
    }

    pub fn read(service: &str, user: &str) -> Result<Option<Stored>, Failure> {
        run(|| async {
            let bus = Bus::open().await?;
            let (unlocked, locked) = bus.search(&attributes(service, user)).await?;
            if let Some(item) = unlocked.first() {
                let secret = bus.secret(item.as_str()).await?;
                let created = bus.created(item.as_str()).await;
                return Ok(Some(Stored { secret, created }));
            }
            match locked.first() {
                Some(item) => Err(Failure::Locked(bus.keyring_of(item.as_str()).await)),
                None => Ok(None),
            }
        })
    }

    pub fn write(service: &str, user: &str, label: &str, secret: &[u8]) -> Result<(), Failure> {
        run(|| async {
            let bus = Bus::open().await?;
            let collection: OwnedObjectPath =
                bus.call(ROOT, SERVICE, "ReadAlias", &("default",)).await?;
            if collection.as_str() == "/" {
                return Err(Failure::Absent(
                    "the Secret Service has no default keyring".into(),
                ));
            }
            let path = collection.as_str();
            let locked: bool = bus.property(path, COLLECTION, "Locked").await?;
            if locked {
                return Err(Failure::Locked(bus.collection_name(path).await));
            }
            let attributes: HashMap<String, String> = attributes(service, user)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let properties: HashMap<&str, Value> = HashMap::from([
                ("org.freedesktop.Secret.Item.Label", Value::from(label)),
                (
                    "org.freedesktop.Secret.Item.Attributes",
                    Value::from(attributes),
                ),
            ]);
            let value = Zeroizing::new(secret.to_vec());
            let secret = (
                &bus.session,
                Vec::<u8>::new(),
                &*value,
                "text/plain; charset=utf8",
            );
            let (item, prompt): (OwnedObjectPath, OwnedObjectPath) = bus
                .call(path, COLLECTION, "CreateItem", &(properties, secret, true))
                .await?;
            if item.as_str() == "/" || prompt.as_str() != "/" {
                // It asks for a prompt (locked after all): not followed.
                return Err(Failure::Locked(bus.collection_name(path).await));
            }
            Ok(())
        })
    }

    pub fn delete(service: &str, user: &str) -> Result<bool, Failure> {
        run(|| async {
            let bus = Bus::open().await?;
            let (unlocked, locked) = bus.search(&attributes(service, user)).await?;
            if let Some(item) = locked.first() {
                return Err(Failure::Locked(bus.keyring_of(item.as_str()).await));
            }
            for item in &unlocked {
                let prompt: OwnedObjectPath = bus.call(item.as_str(), ITEM, "Delete", &()).await?;
                if prompt.as_str() != "/" {
                    return Err(Failure::Locked(bus.keyring_of(item.as_str()).await));
                }
            }
            Ok(!unlocked.is_empty())
        })
    }

    pub fn users(service: &str) -> Result<Option<Users>, Failure> {
        run(|| async {
            let bus = Bus::open().await?;
            let (unlocked, locked) = bus.search(&HashMap::from([("service", service)])).await?;
            if let Some(item) = locked.first() {
                return Err(Failure::Locked(bus.keyring_of(item.as_str()).await));
            }
            let mut users = Vec::new();
            for item in &unlocked {
                let attributes: HashMap<String, String> =
                    bus.property(item.as_str(), ITEM, "Attributes").await?;
                if let Some(user) = attributes.get("username") {
                    users.push((user.clone(), bus.created(item.as_str()).await));
                }
            }
            users.sort();
            Ok(Some(users))
        })
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
