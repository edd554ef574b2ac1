//! What the driver last saw of each instance, for `alive`, which the reconciler calls for
//! every settled session each drift interval and which must not block. Each call answers
//! from what is known and, unless one is under way, starts a DescribeInstances of every
//! instance the portal tagged in that profile's account and region; its answer is there
//! for the next interval. So an instance stopped or terminated outside the portal shows
//! within two drift intervals.
//!
//! The driver's own actions record what they leave (running, stopped); an answer that was
//! asked for before such a record does not overwrite it, so a session that just became
//! READY is never taken for stopped by a look that began while it was starting.

use super::client::{Shared, TAG_SESSION};
use super::instances::described;
use super::states::is_up;
use super::Machine;
use aws_sdk_ec2::types::Filter;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Default)]
pub struct Seen {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Instance id → (when it was seen so, whether it is up).
    instances: HashMap<String, (Instant, bool)>,
    /// Profiles (`studio/profile`) whose instances were described at least once.
    loaded: HashSet<String>,
    /// Profiles with a DescribeInstances under way.
    looking: HashSet<String>,
}

impl Seen {
    /// What an action of the driver left instance `id` as.
    pub fn record(&self, id: &str, up: bool) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.instances.insert(id.to_owned(), (Instant::now(), up));
    }

    fn apply(&self, key: &str, asked_at: Instant, found: Vec<(String, bool)>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for (id, up) in found {
            let newer = inner
                .instances
                .get(&id)
                .is_some_and(|(at, _)| *at > asked_at);
            if !newer {
                inner.instances.insert(id, (asked_at, up));
            }
        }
        inner.loaded.insert(key.to_owned());
        inner.looking.remove(key);
    }
}

/// Whether `machine`'s instance is up, as last seen; starts the next look.
pub fn alive(shared: &Arc<Shared>, runtime: &tokio::runtime::Handle, machine: &Machine) -> bool {
    let Some(id) = &machine.instance_id else {
        return false;
    };
    let key = format!("{}/{}", machine.studio, machine.profile);
    let (known, loaded, look) = {
        let mut inner = shared.seen.inner.lock().unwrap_or_else(|e| e.into_inner());
        let look = inner.looking.insert(key.clone());
        (
            inner.instances.get(id).map(|(_, up)| *up),
            inner.loaded.contains(&key),
            look,
        )
    };
    if look {
        let (shared, machine) = (shared.clone(), machine.clone());
        runtime.spawn(async move { refresh(&shared, &machine, &key).await });
    }
    match known {
        Some(up) => up,
        // Before the first look: what the last action left, as the database says.
        None if !loaded => machine.up,
        None => false,
    }
}

async fn refresh(shared: &Shared, machine: &Machine, key: &str) {
    let asked_at = Instant::now();
    let found = match shared.settings(machine) {
        Ok(settings) => {
            let client = shared.client(machine, &settings).await;
            let tagged = Filter::builder()
                .name("tag-key")
                .values(TAG_SESSION)
                .build();
            described(&client, vec![tagged]).await
        }
        Err(message) => Err(super::states::Failure::Retry(message)),
    };
    match found {
        Ok(found) => {
            let found = found.into_iter().map(|i| (i.id, is_up(&i.state))).collect();
            shared.seen.apply(key, asked_at, found);
        }
        Err(error) => {
            tracing::warn!(?error, "cannot describe instances for the drift check");
            let mut inner = shared.seen.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.looking.remove(key);
        }
    }
}
