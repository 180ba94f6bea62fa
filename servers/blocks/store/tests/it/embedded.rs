use std::time::Duration;

use omega_store::{DocStore, EmbeddedStore, KvStore, Scope, VectorStore};
use serde_json::json;

use crate::tenant;

#[tokio::test]
async fn kv_values_survive_reopen_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EmbeddedStore::open(dir.path()).unwrap();
        store
            .put(&tenant("acme"), "session", "s1", b"hello", None)
            .await
            .unwrap();
        store
            .put(
                &tenant("acme"),
                "cache",
                "short",
                b"x",
                Some(Duration::from_millis(50)),
            )
            .await
            .unwrap();
    }
    let store = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(
        store
            .get(&tenant("acme"), "session", "s1")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"hello"[..])
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(
        store.get(&tenant("acme"), "cache", "short").await.unwrap(),
        None
    );
    assert_eq!(store.sweep_expired().await.unwrap(), 1);
    assert!(
        store
            .delete(&tenant("acme"), "session", "s1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete(&tenant("acme"), "session", "s1")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn tenants_cannot_see_each_other_and_purge_is_scoped() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let (a, b) = (tenant("acme"), tenant("acme2"));
    store.put(&a, "session", "k", b"a", None).await.unwrap();
    store.put(&b, "session", "k", b"b", None).await.unwrap();
    store
        .put_doc(&a, "tickets", "t1", &json!({"x": 1}), &[])
        .await
        .unwrap();
    store
        .upsert(&a, "memory", "m1", &[1.0, 0.0], &json!("A"))
        .await
        .unwrap();
    store
        .upsert(&b, "memory", "m1", &[1.0, 0.0], &json!("B"))
        .await
        .unwrap();

    assert_eq!(
        store.get(&b, "session", "k").await.unwrap().as_deref(),
        Some(&b"b"[..])
    );
    assert_eq!(store.get_doc(&b, "tickets", "t1").await.unwrap(), None);
    let hits = store.search(&b, "memory", &[1.0, 0.0], 5).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].payload, json!("B"));

    assert_eq!(store.purge(&a).await.unwrap(), 3);
    assert_eq!(store.get(&a, "session", "k").await.unwrap(), None);
    assert_eq!(store.count(&a, "memory").await.unwrap(), 0);
    assert_eq!(
        store.get(&b, "session", "k").await.unwrap().as_deref(),
        Some(&b"b"[..])
    );
    assert_eq!(store.count(&b, "memory").await.unwrap(), 1);
    // After a reopen the purge still holds and the other tenant is intact.
    drop(store);
    let store = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(store.count(&a, "memory").await.unwrap(), 0);
    assert_eq!(store.count(&b, "memory").await.unwrap(), 1);
}

#[tokio::test]
async fn documents_are_found_by_index_and_reindexed_on_update() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let g = Scope::Global;
    store
        .put_doc(
            &g,
            "agents",
            "a1",
            &json!({"n": 1}),
            &[("skill", "triage".into())],
        )
        .await
        .unwrap();
    store
        .put_doc(
            &g,
            "agents",
            "a2:x",
            &json!({"n": 2}),
            &[("skill", "triage".into()), ("skill", "classify".into())],
        )
        .await
        .unwrap();
    let ids = |docs: Vec<omega_store::Document>| docs.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store
            .find_docs(&g, "agents", "skill", "triage")
            .await
            .unwrap()),
        ["a1", "a2:x"]
    );
    store
        .put_doc(
            &g,
            "agents",
            "a1",
            &json!({"n": 3}),
            &[("skill", "classify".into())],
        )
        .await
        .unwrap();
    assert_eq!(
        ids(store
            .find_docs(&g, "agents", "skill", "triage")
            .await
            .unwrap()),
        ["a2:x"]
    );
    assert_eq!(
        ids(store
            .find_docs(&g, "agents", "skill", "classify")
            .await
            .unwrap()),
        ["a1", "a2:x"]
    );
    assert!(store.delete_doc(&g, "agents", "a2:x").await.unwrap());
    assert_eq!(
        ids(store
            .find_docs(&g, "agents", "skill", "classify")
            .await
            .unwrap()),
        ["a1"]
    );
    // Pagination by id.
    for i in 0..5 {
        store
            .put_doc(&g, "page", &format!("p{i}"), &json!(i), &[])
            .await
            .unwrap();
    }
    let first = store.list_docs(&g, "page", None, 2).await.unwrap();
    assert_eq!(ids(first), ["p0", "p1"]);
    let next = store.list_docs(&g, "page", Some("p1"), 10).await.unwrap();
    assert_eq!(ids(next), ["p2", "p3", "p4"]);
}

#[tokio::test]
async fn vectors_persist_and_search_exactly() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EmbeddedStore::open(dir.path()).unwrap();
        let t = tenant("acme");
        store
            .upsert(&t, "memory", "north", &[0.0, 1.0, 0.0], &json!({"d": "n"}))
            .await
            .unwrap();
        store
            .upsert(&t, "memory", "east:1", &[1.0, 0.0, 0.0], &json!({"d": "e"}))
            .await
            .unwrap();
        store
            .upsert(&t, "memory", "ne", &[1.0, 1.0, 0.0], &json!({"d": "ne"}))
            .await
            .unwrap();
        let err = store
            .upsert(&t, "memory", "bad", &[1.0], &json!(null))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("dimensions"), "{err}");
    }
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let hits = store
        .search(&tenant("acme"), "memory", &[0.9, 0.1, 0.0], 2)
        .await
        .unwrap();
    let ids: Vec<_> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["east:1", "ne"]);
    assert!(hits[0].score > hits[1].score);
    assert!(
        store
            .remove(&tenant("acme"), "memory", "east:1")
            .await
            .unwrap()
    );
    drop(store);
    let store = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(store.count(&tenant("acme"), "memory").await.unwrap(), 2);
}

#[tokio::test]
async fn stored_bytes_are_counted_per_tenant_namespace_and_collection() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (tenant("acme"), tenant("acme2"));
    {
        let store = EmbeddedStore::open(dir.path()).unwrap();
        assert_eq!(store.namespace_bytes(&a, "session").await.unwrap(), 0);
        store
            .put(&a, "session", "s1", b"12345", None)
            .await
            .unwrap();
        store.put(&a, "session", "s22", b"1", None).await.unwrap();
        store.put(&a, "cache", "c", b"123", None).await.unwrap();
        store
            .put(&b, "session", "s1", b"xxxxxxxx", None)
            .await
            .unwrap();
        // Key plus value, per namespace, per tenant.
        assert_eq!(store.namespace_bytes(&a, "session").await.unwrap(), 7 + 4);
        assert_eq!(store.namespace_bytes(&a, "cache").await.unwrap(), 4);
        assert_eq!(store.namespace_bytes(&b, "session").await.unwrap(), 10);
        assert_eq!(
            store.entry_bytes(&a, "session", "s1").await.unwrap(),
            Some(7)
        );
        assert_eq!(
            store.entry_bytes(&a, "session", "nope").await.unwrap(),
            None
        );
        // Replacing and deleting change the count.
        store.put(&a, "session", "s1", b"1", None).await.unwrap();
        assert_eq!(store.namespace_bytes(&a, "session").await.unwrap(), 3 + 4);
        store.delete(&a, "session", "s22").await.unwrap();
        assert_eq!(store.namespace_bytes(&a, "session").await.unwrap(), 3);
        // Expired entries do not count, even before the sweep.
        store
            .put(&a, "cache", "t", b"123456", Some(Duration::from_millis(40)))
            .await
            .unwrap();
        assert_eq!(store.namespace_bytes(&a, "cache").await.unwrap(), 4 + 7);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(store.namespace_bytes(&a, "cache").await.unwrap(), 4);
        assert_eq!(store.entry_bytes(&a, "cache", "t").await.unwrap(), None);

        // Vectors: id + 4 bytes per dimension + payload JSON.
        store
            .upsert(&a, "memory", "m1", &[1.0, 0.0], &json!({"t": "x"}))
            .await
            .unwrap();
        assert_eq!(
            store.vector_bytes(&a, "memory", "m1").await.unwrap(),
            Some(2 + 8 + 9)
        );
        assert_eq!(store.collection_bytes(&a, "memory").await.unwrap(), 19);
        assert_eq!(store.collection_bytes(&b, "memory").await.unwrap(), 0);
    }
    // The vector figures survive a reopen (the index is rebuilt from disk).
    let store = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(store.collection_bytes(&a, "memory").await.unwrap(), 19);
    assert!(store.remove(&a, "memory", "m1").await.unwrap());
    assert_eq!(store.collection_bytes(&a, "memory").await.unwrap(), 0);
    assert_eq!(store.namespace_bytes(&a, "session").await.unwrap(), 3);
}
