// Finished runs are kept in the browser (IndexedDB, database "attn-lab"), so a reload keeps the experiments
// table, and the explorer page can open a run's model. Each entry is the run's record (config, curves,
// metrics, snapshots) and its weights (safetensors bytes). Where storage is unavailable (some private
// windows), the lab still works; runs then last as long as the page.
import { idbStore } from '../state/idb';

const DB = 'attn-lab';
const STORE = 'runs';

export interface StoredRun {
  id: string;
  record: unknown; // a RunRecord (lab-store.ts) without what only the live page holds
  weights?: Uint8Array;
}

const tx = idbStore(DB, STORE);

export const saveRun = (run: StoredRun) => tx('readwrite', (s) => s.put(run)).then(() => undefined);
export const deleteStoredRun = (id: string) => tx('readwrite', (s) => s.delete(id)).then(() => undefined);
export const loadRuns = () => tx<StoredRun[]>('readonly', (s) => s.getAll() as IDBRequest<StoredRun[]>);
export const loadRun = (id: string) => tx<StoredRun | undefined>('readonly', (s) => s.get(id) as IDBRequest<StoredRun | undefined>);
