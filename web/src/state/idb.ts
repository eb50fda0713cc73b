// One IndexedDB object store of records keyed by "id", opened for each transaction (the lab's runs, the Hugging
// Face models kept in this browser). Where storage is unavailable (some private windows) every call rejects
// with a message saying so, and callers carry on without it.

export type Transact = <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>) => Promise<T>;

export function idbStore(database: string, store: string): Transact {
  const open = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === 'undefined') {
        reject(new Error('this browser has no IndexedDB here (a private window?)'));
        return;
      }
      const req = indexedDB.open(database, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(store, { keyPath: 'id' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB failed'));
    });
  return async <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>) => {
    const db = await open();
    try {
      return await new Promise<T>((resolve, reject) => {
        const t = db.transaction(store, mode);
        let req: IDBRequest<T>;
        try {
          req = fn(t.objectStore(store)); // (a put may throw at once: a value that cannot be stored, a full disk)
        } catch (e) {
          t.abort();
          reject(storageError(e as DOMException, 'IndexedDB failed'));
          return;
        }
        t.oncomplete = () => resolve(req.result);
        t.onerror = () => reject(storageError(t.error, 'IndexedDB failed'));
        t.onabort = () => reject(storageError(t.error, 'IndexedDB aborted (is the storage full?)'));
      });
    } finally {
      db.close();
    }
  };
}

/** A failed transaction's error, in words a learner can act on when the browser's storage is full. */
function storageError(e: DOMException | null, fallback: string): Error {
  if (e?.name === 'QuotaExceededError')
    return Object.assign(new Error('the browser’s storage for this site is full: delete runs or models you no longer need, or free some disk space'), { name: e.name });
  return e ?? new Error(fallback);
}
