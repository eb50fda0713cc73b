// Knowing when a worker dies, whatever killed it (terminated, out of memory, its process gone): the worker holds a
// Web Lock named after it (the Worker's `name`) for as long as it lives, and the page asks for the same lock; the
// browser grants it to the page only once the worker is gone. No timeout guesses how long a computation may take.
// Where Web Locks are missing (a page served over plain http from another machine), only the worker's 'error'
// event tells the page.

let counter = 0;

/** A name for a new worker (Worker options' `name`), unique in this browser. */
export function workerName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${counter++}`;
}

const locks = (): LockManager | undefined => (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;

/** In the worker: holds the lock `name` until the worker ends. Resolves once it is held (at once without Web Locks). */
export function holdLife(name: string): Promise<void> {
  const l = locks();
  if (!l || !name) return Promise.resolve();
  return new Promise<void>((held) => {
    l.request(name, () => {
      held();
      return new Promise<void>(() => {}); // never released: the browser releases it when the worker dies
    }).catch(() => held());
  });
}

/**
 * In the page, once the worker holds its lock (after its first message sent after holdLife): calls `onDeath` when
 * the worker is gone. Returns a function that stops watching (before the page ends the worker itself).
 */
export function watchLife(name: string, onDeath: () => void): () => void {
  const l = locks();
  if (!l) return () => {};
  const stop = new AbortController();
  l.request(name, { signal: stop.signal }, () => {
    if (!stop.signal.aborted) onDeath();
  }).catch(() => {}); // aborted: the page stopped watching
  return () => stop.abort();
}
