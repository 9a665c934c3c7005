// A small IndexedDB store of records by key, for what a page keeps on the device across reloads
// and a closed browser: the crew's outbox (web/outbox.js) and the citizen's pending video
// (web/reportvideo.js). Each call is its own transaction.

// The object stores `stores` ({name: keyPath}) of database `dbName`, each as {all, get, put, remove}.
export function idbStores(dbName, stores) {
  let dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(dbName, 1);
        req.onupgradeneeded = () => {
          for (const [name, keyPath] of Object.entries(stores)) req.result.createObjectStore(name, { keyPath });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => { dbPromise = null; reject(req.error); };
      });
    }
    return dbPromise;
  }

  async function tx(storeName, mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const t = d.transaction(storeName, mode);
      const store = t.objectStore(storeName);
      let result;
      Promise.resolve(fn(store)).then((r) => { result = r; });
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  function reqResult(req) {
    return new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
  }

  const api = {};
  for (const name of Object.keys(stores)) {
    api[name] = {
      all: async () => (await tx(name, "readonly", (s) => reqResult(s.getAll()))) || [],
      get: (key) => tx(name, "readonly", (s) => reqResult(s.get(key))),
      put: (record) => tx(name, "readwrite", (s) => { s.put(record); }),
      remove: (key) => tx(name, "readwrite", (s) => { s.delete(key); }),
    };
  }
  return api;
}

export function idbStore(dbName, storeName, keyPath) {
  return idbStores(dbName, { [storeName]: keyPath })[storeName];
}
