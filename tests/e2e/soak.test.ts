// A short soak of the page (#14 item 3; bench/soak.mjs is the long one): 200 edits in the explorer across models
// and displays (typing, chip edits, model, layer and display switches) and 3 lab runs in a row (start, pause,
// resume, stop, delete). The explorer worker's engine objects never grow past their level after warm-up, and its
// memory stays within 10% of it; the lab worker's come back to none once its runs are deleted, with its WebAssembly
// memory, malloc's bytes and the page's JS heap within 10% of their level; no console error.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, withBrowserAndEngine, type Session } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The soak itself, shared with the benchmark (plain JavaScript, as tools/serve.mjs is for the harness).
const soak = await import(/* @vite-ignore */ path.join(root, 'bench/soak.mjs'));

let session: Session;
withBrowserAndEngine((s) => {
  session = s;
});

describe('soak', () => {
  it('200 explorer edits across models and displays: no engine object left behind, no error', { timeout: 600000 }, async () => {
    const { page, problems } = await openPage(session, 'm=lm');
    const { samples, errors } = await soak.soakExplorer(page, { edits: 200, every: 20 });
    const { text, verdict } = soak.table('explorer', samples, soak.EXPLORER_KEYS, 'edit');
    console.log(text);
    // Engine objects never above their count after warm-up; the worker's WebAssembly memory and malloc's bytes within
    // 10% of their level (the warm-up gives every model the longest texts the soak makes: a model's working tensors
    // keep the size of the longest text they saw, which once looked like a climb over the first 100 edits). The
    // page's JS heap is printed and judged by bench/soak.mjs over 2,000 edits (it moves by up to 8% with the text).
    for (const k of ['handles', 'wasm', 'heap']) expect(verdict[k].pass, `${k}: ${text}`).toBe(true);
    expect(errors).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('3 lab runs in a row, each paused, resumed, stopped and deleted: the lab worker comes back to no engine object', { timeout: 300000 }, async () => {
    const { page, problems } = await openPage(session, 'steps=3000&max-len=6&eval-every=50', { path: 'lab.html', height: 1200 });
    const { samples, errors } = await soak.soakLab(page, { runs: 3 });
    const { text, verdict } = soak.table('lab', samples, soak.LAB_KEYS, 'run');
    console.log(text);
    for (const s of samples) expect(s.handles, text).toBe(0); // every run deleted: nothing of it left in the engine
    for (const s of samples) expect(s.runs, text).toBe(0);
    for (const k of ['wasm', 'heap', 'js']) expect(verdict[k].pass, `${k}: ${text}`).toBe(true);
    expect(errors).toEqual([]);
    expect(problems).toEqual([]);
  });
});
