//! Copies of endpoints for the two hot paths, so that neither reads SQLite for them: the
//! delivery reader's (healthy endpoints by id) and the ingest's (the subscribers of an
//! event type). Every committed write that changes an endpoint, or what a delivery uses of
//! one, forgets them all; such writes are rare (an admin's, a failure streak's start).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use webhooks_core::model::Endpoint;
use webhooks_core::{EndpointId, TenantId};

/// Most endpoints kept; past it the cache starts again empty.
const CACHED_MAX: usize = 4096;

/// Endpoints as read, each tagged with the epoch it was read in.
///
/// Why the epoch: a read that began before a write's commit may finish after the cache was
/// cleared for it, and must not put its old copy back. The reader takes the epoch before
/// its read, the writer moves it after its commit, and a copy counts only in its own epoch.
///
/// Only endpoints with no failure streak (`failing_since` unset) are kept: the escalation
/// to "failing" and "disabled" reads that field, and every attempt may move it. A healthy
/// endpoint's copy goes stale only when an attempt starts a streak, which the delivery log
/// reports ([`EndpointCache::forget`]). The subscribers of an event type are kept whatever
/// their state, as the ingest reads none of it. The counters in a copy are stale at once:
/// neither path reads them, and the admin API reads the table.
#[derive(Default)]
pub(crate) struct EndpointCache {
    epoch: AtomicU64,
    entries: Mutex<HashMap<EndpointId, (u64, Endpoint)>>,
    subscribers: Mutex<Subscribers>,
}

/// The subscribers of each tenant's event types, with the epoch they were read in.
type Subscribers = HashMap<TenantId, HashMap<String, (u64, Vec<Endpoint>)>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EndpointCache {
    /// The epoch to pass to [`EndpointCache::keep`], taken before the read.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// The copy of `tenant`'s endpoint `id` read in the current epoch, if one is kept.
    pub(crate) fn get(&self, tenant: &TenantId, id: &EndpointId) -> Option<Endpoint> {
        let epoch = self.epoch();
        let entries = lock(&self.entries);
        let (_, endpoint) = entries
            .get(id)
            .filter(|(at, e)| *at == epoch && e.tenant == *tenant)?;
        Some(endpoint.clone())
    }

    /// Keeps `endpoint`, read after [`EndpointCache::epoch`] returned `epoch`, unless it is
    /// failing or a write has been committed since.
    pub(crate) fn keep(&self, epoch: u64, endpoint: &Endpoint) {
        if endpoint.failing_since.is_some() || epoch != self.epoch() {
            return;
        }
        let mut entries = lock(&self.entries);
        if entries.len() >= CACHED_MAX && !entries.contains_key(&endpoint.id) {
            entries.clear();
        }
        entries.insert(endpoint.id.clone(), (epoch, endpoint.clone()));
    }

    /// The subscribers of `tenant`'s `event_type` read in the current epoch, if kept.
    pub(crate) fn subscribers(&self, tenant: &TenantId, event_type: &str) -> Option<Vec<Endpoint>> {
        let epoch = self.epoch();
        let subscribers = lock(&self.subscribers);
        let (_, endpoints) = subscribers
            .get(tenant)?
            .get(event_type)
            .filter(|(at, _)| *at == epoch)?;
        Some(endpoints.clone())
    }

    /// Keeps the `endpoints` subscribed to `tenant`'s `event_type`, read after
    /// [`EndpointCache::epoch`] returned `epoch`, unless a write has been committed since.
    pub(crate) fn keep_subscribers(
        &self,
        epoch: u64,
        tenant: &TenantId,
        event_type: &str,
        endpoints: &[Endpoint],
    ) {
        if epoch != self.epoch() {
            return;
        }
        let mut subscribers = lock(&self.subscribers);
        if subscribers.values().map(HashMap::len).sum::<usize>() >= CACHED_MAX {
            subscribers.clear();
        }
        (subscribers.entry(tenant.clone()).or_default())
            .insert(event_type.to_owned(), (epoch, endpoints.to_vec()));
    }

    /// Forgets every copy; called once a write that changes an endpoint is committed.
    pub(crate) fn forget(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        lock(&self.entries).clear();
        lock(&self.subscribers).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webhooks_core::model::now;

    fn endpoint(failing: bool) -> Endpoint {
        let tenant = TenantId::parse("ENS1").unwrap();
        let types = vec!["INVOICE_VALIDATED".into()];
        let mut e = Endpoint::new(
            tenant,
            "https://example.com/h".into(),
            String::new(),
            types,
            true,
        );
        e.failing_since = failing.then(now);
        e
    }

    /// The epoch the copy was read in, after what else happened.
    fn current(c: &EndpointCache) -> u64 {
        c.epoch()
    }
    fn before_a_write(c: &EndpointCache) -> u64 {
        let before = c.epoch();
        c.forget();
        before
    }

    type ReadIn = fn(&EndpointCache) -> u64;

    #[test]
    fn a_copy_counts_only_for_its_tenant_and_in_its_epoch() {
        let cache = EndpointCache::default();
        let other = TenantId::parse("ENS2").unwrap();
        // (case, failing, read in, a write committed after the copy was kept, found)
        let cases: [(&str, bool, ReadIn, bool, bool); 4] = [
            ("healthy", false, current, false, true),
            ("failing", true, current, false, false),
            ("a write after", false, current, true, false),
            // Its read began before a write's commit and ended after it.
            ("read before a write", false, before_a_write, false, false),
        ];
        for (name, failing, read_in, write_after, found) in cases {
            let e = endpoint(failing);
            cache.keep(read_in(&cache), &e);
            if write_after {
                cache.forget();
            }
            let got = cache.get(&e.tenant, &e.id);
            assert_eq!(got.map(|g| g.id), found.then(|| e.id.clone()), "{name}");
            assert!(
                cache.get(&other, &e.id).is_none(),
                "{name}: to another tenant"
            );
        }
    }

    #[test]
    fn subscribers_count_only_in_their_epoch() {
        let cache = EndpointCache::default();
        let e = endpoint(true);
        let (t, ty) = (&e.tenant, "INVOICE_VALIDATED");
        // (case, read in, found)
        let cases: [(&str, ReadIn, bool); 2] = [
            ("current, failing ones too", current, true),
            ("read before a write", before_a_write, false),
        ];
        for (name, read_in, found) in cases {
            cache.keep_subscribers(read_in(&cache), t, ty, std::slice::from_ref(&e));
            assert_eq!(cache.subscribers(t, ty).is_some(), found, "{name}");
            assert!(cache.subscribers(t, "CONTRACT_CREATED").is_none(), "{name}");
        }
        cache.forget();
        assert!(cache.subscribers(t, ty).is_none(), "forgotten");
    }
}
