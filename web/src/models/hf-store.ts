// Hugging Face models kept in the browser (IndexedDB, database "attn-hf"), so the next visit opens them at once
// and a link ?m=hf&hf=<id> restores one. Each entry is a small record (what the model is) and its files as Blobs
// (the browser stores them on disk; listing the models reads none of their bytes). A model is saved only after
// the engine loaded it. Used by the page (list, save, remove) and by the engine worker (read the files).
import { idbStore } from '../state/idb';
import type { HfInfo } from '../engine/protocol';

const DB = 'attn-hf';
const STORE = 'models';

export interface StoredHfModel {
  id: string;
  name: string;
  family: HfInfo['family'];
  architecture: string;
  dtype: string;
  numParameters: number;
  memoryBytes: number;
  /** All its files' sizes added up. */
  bytes: number;
  savedAt: number;
  files: Record<string, Blob>;
}

export type StoredHfSummary = Omit<StoredHfModel, 'files'>;

const tx = idbStore(DB, STORE);

export const saveHfModel = (m: StoredHfModel) => tx('readwrite', (s) => s.put(m)).then(() => undefined);
export const deleteHfModel = (id: string) => tx('readwrite', (s) => s.delete(id)).then(() => undefined);
export const loadHfModel = (id: string) => tx<StoredHfModel | undefined>('readonly', (s) => s.get(id) as IDBRequest<StoredHfModel | undefined>);

/** The stored models, newest first, without their files. */
export async function listHfModels(): Promise<StoredHfSummary[]> {
  const all = await tx<StoredHfModel[]>('readonly', (s) => s.getAll() as IDBRequest<StoredHfModel[]>);
  return all
    .map(({ files: _files, ...rest }) => rest)
    .sort((a, b) => b.savedAt - a.savedAt);
}
