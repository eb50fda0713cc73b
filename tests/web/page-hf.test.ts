// The page's side of Hugging Face checkpoints, in Node: which files make a model folder (and the messages when
// they cannot), keys and URLs, the URL state, the store's presets, GPT-2's byte labels, head statistics computed
// text by text equal to one engine call over all texts, and the engine client's rule that a load the worker died
// in is never replayed while the models that worked are.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../../engine/bindings/attn';
import { queryFromState, stateFromQuery } from '../../web/src/components/url-state';
import { EngineClient, type ModelStatus } from '../../web/src/engine/client';
import type { LoadedModel } from '../../web/src/engine/protocol';
import {
  MAX_WEIGHT_BYTES,
  STATS_TEXTS,
  byteLevelLabel,
  combineHeadStats,
  folderPath,
  folderUrl,
  formatBytes,
  isFolderKey,
  modelKey,
  pickModelFiles,
} from '../../web/src/models/hf';
import { DEFAULT_SETTINGS, Store } from '../../web/src/state/store';
import { loadBuiltEngine } from './golden';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = (name: string) => {
  const dir = path.join(root, 'tests/fixtures/hf/models', name);
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f))]));
};

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

describe('pickModelFiles', () => {
  const f = (name: string, size = 10, p?: string) => ({ name, size, path: p });
  it('keeps the Hub files by name, leaves the others out, and names the model after its folder', () => {
    const r = pickModelFiles([f('config.json', 1, 'gpt2/config.json'), f('model.safetensors', 1, 'gpt2/model.safetensors'),
      f('README.md', 1, 'gpt2/README.md'), f('tokenizer.json', 1, 'gpt2/tokenizer.json'), f('model-00001-of-00002.safetensors')]);
    expect(Object.keys(r.files).sort()).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model.safetensors', 'tokenizer.json']);
    expect(r.ignored).toEqual(['gpt2/README.md']);
    expect(r.name).toBe('gpt2');
    expect(pickModelFiles([f('config.json'), f('model.safetensors')]).name).toBe('');
  });
  it('refuses two models at once, other weight formats, nothing useful, and weights too large for the engine', () => {
    expect(() => pickModelFiles([f('config.json', 1, 'a/config.json'), f('config.json', 1, 'b/config.json')]))
      .toThrow('Two files are named config.json (a/config.json and b/config.json): these are files of two models');
    expect(() => pickModelFiles([f('config.json'), f('pytorch_model.bin')])).toThrow('pytorch_model.bin is not a format the engine reads');
    expect(() => pickModelFiles([f('notes.txt')])).toThrow('None of these files belongs to a Hugging Face model folder');
    expect(() => pickModelFiles([])).toThrow('No files were chosen');
    const big = pickModelFiles.bind(null, [f('config.json'), f('model.safetensors', MAX_WEIGHT_BYTES + 1)]);
    expect(big).toThrow('more than the 2 GB of memory the engine has');
    try {
      big();
    } catch (e) {
      expect((e as Error).name).toBe('AttnError');
    }
  });
});

describe('keys, folders and sizes', () => {
  it('a stored id is short; a folder is a URL on the page’s own site', () => {
    const files = { 'config.json': new Uint8Array([1, 2, 3]), 'model.safetensors': new Uint8Array(100) };
    const key = modelKey('gpt2', files);
    expect(key).toMatch(/^gpt2-[0-9a-f]{12}$/);
    expect(modelKey('gpt2', { ...files })).toBe(key);
    expect(modelKey('gpt2', { ...files, 'config.json': new Uint8Array([1, 2, 4]) })).not.toBe(key);
    expect(isFolderKey(key)).toBe(false);
    expect(isFolderKey('models/opus-mt-en-fr/')).toBe(true);
    const base = 'http://site.test/course/page.html?x=1';
    expect(folderUrl('models/opus-mt-en-fr', base)).toBe('http://site.test/course/models/opus-mt-en-fr/');
    expect(folderUrl('/models/gpt2/?q#h', base)).toBe('http://site.test/models/gpt2/');
    expect(() => folderUrl('https://elsewhere.test/gpt2/', base)).toThrow('on another site');
    expect(folderPath('http://site.test/course/models/x/', base)).toBe('/course/models/x/');
    expect(folderPath('https://elsewhere.test/x/', base)).toBe('https://elsewhere.test/x/');
    expect(formatBytes(548_000_000)).toBe('548 MB');
    expect(formatBytes(2_300)).toBe('2.3 KB');
  });

  it('GPT-2 tokens that are part of a character read as their bytes', () => {
    expect(byteLevelLabel(' the', 'Ġthe')).toBe(' the');
    expect(byteLevelLabel('\uFFFD', 'âĢ')).toBe('\\xE2\\x80');
  });
});

describe('URL state and the store', () => {
  it('?hf=folder opens it (made absolute); ?m=hf&hf=id restores a stored model; both round-trip', () => {
    const base = 'http://site.test/attn/index.html';
    const a = stateFromQuery('?hf=models/opus-mt-en-fr', base);
    expect(a.model).toBe('hf');
    expect(a.hf).toBe('http://site.test/attn/models/opus-mt-en-fr/');
    expect(a.hfTextFor).toBeUndefined(); // the family's preset text comes when it loads
    const b = stateFromQuery('?m=hf&hf=gpt2-0123456789ab&text=Hello&view=self', base);
    expect(b).toMatchObject({ model: 'hf', hf: 'gpt2-0123456789ab', hfTextFor: 'gpt2-0123456789ab' });
    expect(b.texts!.hf).toBe('Hello');
    const s = new Store(b).state;
    expect(new URLSearchParams(queryFromState(s)).get('hf')).toBe('gpt2-0123456789ab');
    const back = stateFromQuery(`?${queryFromState(new Store(a).state)}`, base);
    expect(back.hf).toBe(a.hf);
    expect(stateFromQuery('?m=hf', base).model).toBe('lm'); // no model named: the default
  });

  it('a model’s first ready status sets its family’s preset and view; a link’s text is kept; other keys are ignored', () => {
    const store = new Store(stateFromQuery('?hf=x/', 'http://site.test/'));
    const key = store.state.hf!;
    const ready = (k: string, family: 'marian' | 'gpt2'): ModelStatus => ({
      state: 'ready', model: 'hf', key: k,
      info: { model: 'hf', numParameters: 1, config: {}, metrics: null, stats: {}, hf: { key: k, family } } as unknown as LoadedModel,
    });
    store.setModelStatus(ready('elsewhere', 'gpt2'));
    expect(store.state.models.hf).toBeUndefined();
    store.setModelStatus(ready(key, 'marian'));
    expect(store.state.texts.hf).toBe('The cat sat on the mat.');
    expect(store.state.view).toBe('cross');
    store.setText('');
    store.setModelStatus(ready(key, 'marian')); // statistics arriving later: the text stays as typed
    expect(store.state.texts.hf).toBe('');
    store.setHf('gpt2-000000000000');
    expect(store.state.texts.hf).toBe('');
    store.setModelStatus(ready('gpt2-000000000000', 'gpt2'));
    expect(store.state.texts.hf).toBe("The animal didn't cross the street because it was too");
    store.forgetHf('gpt2-000000000000');
    expect(store.state).toMatchObject({ model: 'lm', hf: undefined });
  });
});

describe('head statistics text by text', () => {
  it.each(['gpt2', 'bert', 'marian'])('%s: combined per-text results equal one engine call over all texts', (name) => {
    const model = attn.loadHuggingFace(fixture(name));
    try {
      const tok = model.tokenizer!;
      const seqs: Int32Array[] = [];
      const punct: Uint8Array[] = [];
      const tgts: Int32Array[] = [];
      for (const t of STATS_TEXTS) {
        const e = tok.encode(t);
        seqs.push(e.ids);
        punct.push(Uint8Array.from(e.offsets, ([s, f]) => (/^[.,?!']+$/.test(t.slice(s, f)) ? 1 : 0)));
        if (model.family === 'marian') {
          const g = model.generate({ input_ids: e.ids }, { maxNewTokens: 12 });
          tgts.push(g.sequences.slice(0, -1));
        }
      }
      const marian = model.family === 'marian';
      const all = model.headStats(seqs, punct, marian ? tgts : undefined);
      const parts = seqs.map((s, i) => model.headStats([s], [punct[i]], marian ? [tgts[i]] : undefined));
      for (const [k, kind] of Object.entries({ encoder: 'self', decoder: 'self', cross: 'cross' }) as [keyof typeof all, 'self' | 'cross'][]) {
        if (!all[k]) continue;
        const combined = combineHeadStats(parts.map((p) => p[k]), kind);
        for (let l = 0; l < all[k].length; l++)
          for (let h = 0; h < all[k][l].length; h++)
            for (const s of ['entropy', 'previous', 'self', 'next', 'first', 'punct', 'max', 'rows'] as const)
              expect(Math.abs(combined[l][h][s] - all[k][l][h][s]), `${k} ${l} ${h} ${s}`).toBeLessThan(1e-12);
      }
    } finally {
      model.delete();
    }
  });
});

// ------------------------------------------------------------------------------- the client, with a fake worker
type Msg = Record<string, any>;
class FakeWorker {
  static all: FakeWorker[] = [];
  onmessage?: (ev: { data: Msg }) => void;
  onerror?: (ev: { message: string; preventDefault(): void }) => void;
  sent: Msg[] = [];
  terminated = false;
  constructor() {
    FakeWorker.all.push(this);
  }
  postMessage(m: Msg) {
    this.sent.push(m);
    if (m.kind === 'init') queueMicrotask(() => this.reply({ kind: 'ready', info: { name: 'fake', version: '0', simd128: true, eigen: '' } }));
  }
  reply(m: Msg) {
    this.onmessage?.({ data: m });
  }
  crash(message = 'out of memory') {
    this.onerror?.({ message, preventDefault() {} });
  }
  terminate() {
    this.terminated = true;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const info = (key: string): LoadedModel => ({ model: 'hf', numParameters: 1, config: {}, metrics: null, stats: {}, hf: { key, family: 'gpt2' } as never });

describe('EngineClient and Hugging Face loads', () => {
  const g = globalThis as unknown as { Worker: unknown };
  const saved = g.Worker;
  afterEach(() => {
    g.Worker = saved;
    FakeWorker.all = [];
  });

  it('a load the worker died in fails with a message and is not replayed; the models that worked are', async () => {
    g.Worker = FakeWorker;
    const statuses: ModelStatus[] = [];
    const client = new EngineClient({ urls: ['engine.mjs'], threads: 1 }, 'models/', () => {}, (s) => statuses.push(s));
    const w1 = FakeWorker.all[0];
    await tick();
    // The page shows the tagger, and a stored Hugging Face model loads for a widget.
    const tagger = client.load('tagger', DEFAULT_SETTINGS);
    await tick();
    w1.reply({ kind: 'loaded', model: 'tagger', numParameters: 1, config: {}, metrics: null, stats: {} });
    await tagger;
    const widget = client.useHf('gpt2-aaaaaaaaaaaa', 'widget');
    await tick();
    const first = w1.sent.find((m) => m.kind === 'load-hf')!;
    expect(first.source).toEqual({ kind: 'stored', id: 'gpt2-aaaaaaaaaaaa' });
    w1.reply({ kind: 'hf-loaded', reqId: first.reqId, info: info('gpt2-aaaaaaaaaaaa') });
    await widget;

    // Files being opened kill the worker.
    const opening = client.openHf({ kind: 'files', name: 'big', files: {} });
    await tick();
    const open = w1.sent.filter((m) => m.kind === 'load-hf').pop()!;
    expect(open.source.kind).toBe('files');
    w1.crash('Aborted(OOM)');
    await expect(opening).rejects.toThrow(/The engine stopped while opening this model \(Aborted\(OOM\)\).*goes on with the model it had/);
    expect(w1.terminated).toBe(true);
    const w2 = FakeWorker.all[1];
    await tick();
    await tick();
    // The new worker gets the tagger and the widget's model again, never the files that killed the old one.
    expect(w2.sent.map((m) => m.kind)).toEqual(['init', 'load', 'load-hf']);
    expect(w2.sent[1].model).toBe('tagger');
    expect(w2.sent[2].source).toEqual({ kind: 'stored', id: 'gpt2-aaaaaaaaaaaa' });

    // A view's own model that kills the worker while loading: failed, and not loaded again by the next worker.
    w2.reply({ kind: 'hf-loaded', reqId: w2.sent[2].reqId, info: info('gpt2-aaaaaaaaaaaa') });
    const page = client.useHf('gpt2-bbbbbbbbbbbb', 'page');
    await tick();
    w2.reply({ kind: 'hf-error', reqId: w2.sent[3].reqId, message: 'Aborted(OOM)', fatal: true });
    await expect(page).rejects.toThrow('The engine stopped while opening this model');
    expect(statuses.filter((s) => s.state === 'failed').map((s) => s.key)).toEqual(['gpt2-bbbbbbbbbbbb']);
    const w3 = FakeWorker.all[2];
    await tick();
    await tick();
    expect(w3.sent.filter((m) => m.kind === 'load-hf').map((m) => m.source.id)).toEqual(['gpt2-aaaaaaaaaaaa']);
    client.dispose();
  });

  it('a model no view uses is released in the worker', async () => {
    g.Worker = FakeWorker;
    const client = new EngineClient({ urls: ['engine.mjs'], threads: 1 }, 'models/', () => {}, () => {});
    const w = FakeWorker.all[0];
    await tick();
    const a = client.useHf('gpt2-aaaaaaaaaaaa', 'v1');
    const b = client.useHf('gpt2-aaaaaaaaaaaa', 'v2');
    await tick();
    const loads = w.sent.filter((m) => m.kind === 'load-hf');
    expect(loads).toHaveLength(1); // shared
    w.reply({ kind: 'hf-loaded', reqId: loads[0].reqId, info: info('gpt2-aaaaaaaaaaaa') });
    expect(await a).toBe(await b);
    client.releaseHf('v1');
    await tick();
    expect(w.sent.some((m) => m.kind === 'hf-release')).toBe(false); // v2 still shows it
    void client.useHf('gpt2-cccccccccccc', 'v2').catch(() => {}); // v2 moves on
    await tick();
    expect(w.sent.filter((m) => m.kind === 'hf-release').map((m) => m.key)).toEqual(['gpt2-aaaaaaaaaaaa']);
    client.dispose();
  });
});
