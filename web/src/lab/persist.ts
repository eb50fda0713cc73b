// Finished runs are kept in the browser (IndexedDB, database "attn-lab"), so a reload keeps the experiments
// table, and the explorer page can open a run's model. Each entry is the run's record (config, curves,
// metrics, snapshots) and its weights (safetensors bytes). Where storage is unavailable (some private
// windows), the lab still works; runs then last as long as the page.
const DB = 'attn-lab';
const STORE = 'runs';

export interface StoredRun {
  id: string;
  record: unknown; // a RunRecord (lab-store.ts) without what only the live page holds
  weights?: Uint8Array;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('no IndexedDB'));
      return;
    }
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB failed'));
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error ?? new Error('IndexedDB failed'));
      t.onabort = () => reject(t.error ?? new Error('IndexedDB aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

export const saveRun = (run: StoredRun) => tx('readwrite', (s) => s.put(run)).then(() => undefined);
export const deleteStoredRun = (id: string) => tx('readwrite', (s) => s.delete(id)).then(() => undefined);
export const loadRuns = () => tx<StoredRun[]>('readonly', (s) => s.getAll() as IDBRequest<StoredRun[]>);
export const loadRun = (id: string) => tx<StoredRun | undefined>('readonly', (s) => s.get(id) as IDBRequest<StoredRun | undefined>);
