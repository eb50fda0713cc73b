// A fuzz loop for the two parsers of the page that read what a user hands it as text: the explorer's URL state
// (web/src/components/url-state.ts: a shared link's query string) and the lab's run files (checkRunFile in
// web/src/lab/lab-store.ts: an imported .json). Seeds are mutated by a seeded generator (byte-level edits, values
// swapped for awkward ones, parameters repeated, spliced in from other seeds), and every input must keep:
//  - URL state: stateFromQuery never throws; the state it gives, completed by the store, writes a query
//    (queryFromState) that reads back to the same state (every field the URL carries), and writing that state again
//    gives the same query (a fixed point);
//  - run files: checkRunFile either returns or throws an Error saying "not a run exported by the lab (...)"; a file
//    it accepts has a history of three (or four) arrays of numbers of one length.
// The test command runs FUZZ_WEB_RUNS inputs per parser (default 10,000, a few seconds); the fuzz campaign
// (tools/fuzz.sh --campaign) runs more. FUZZ_WEB_SEED picks another sequence of inputs. A failure prints the input.
import { describe, expect, it } from 'vitest';
import { queryFromState, stateFromQuery } from '../../web/src/components/url-state';
import { checkRunFile } from '../../web/src/lab/lab-store';
import { Store, type ExplorerState } from '../../web/src/state/store';

const RUNS = Number(process.env.FUZZ_WEB_RUNS ?? 10000);
const SEED = Number(process.env.FUZZ_WEB_SEED ?? 1);
const BASE = 'http://localhost/';

/** mulberry32: a small seeded generator, so that a failing input can be found again. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}
type Gen = ReturnType<typeof generator>;

const URL_SEEDS = [
  '',
  '?m=lm&text=the+cat+sat&view=self&layer=0&head=mean&cmap=viridis&range=max',
  '?m=untrained&text=hello&d=64&h=4&n=2&ff=128&seed=7&pe=1&causal=0&scale=1&view=self&layer=1&head=3',
  '?m=dates&text=March+3rd%2C+2021&view=cross&layer=1&head=2&display=lines&lh=0,2&pin=q3&pictures=lines',
  '?m=tagger&text=I+saw+her&view=self&layer=1&head=rollout&display=neuron&q=2&k=0',
  '?m=lm&display=compare&vs=another+text&range=fixed&cmap=magma',
  '?m=dates&display=ablation&off=e1.2,d2.1,c1.3&ablate=mean',
  '?m=lab&run=run-abc123&text=3+4+5',
  '?hf=models/opus-mt-en-fr/&text=Bonjour',
  '?m=hf&hf=gpt2-abc&view=self&head=flow',
  '?hf=https://elsewhere.example/model/',
  '?text=%F0%9F%91%8B%E2%80%AE%E2%80%8D&display=model&pictures=lines',
];
// Values a parser may trip on: empty, signs, exponents, huge and fractional numbers, non-numbers, prototype names,
// percent escapes (valid, invalid, encoded separators), odd Unicode.
const VALUES = [
  '', '-1', '0', '1', '2', '01', '1e3', '1e309', '-0', '0.5', '1.5', '9007199254740993', 'NaN', 'Infinity', '0x10', ' 3',
  '99999', '100000', 'q', 'k', 'q0', 'k99999', 'q-1', 'mean', 'rollout', 'flow', 'max', 'fixed', 'lines', 'heatmap',
  'model', 'neuron', 'compare', 'ablation', 'self', 'encoder', 'decoder', 'cross', 'lab', 'hf', 'untrained', 'dates',
  'tagger', 'lm', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '%', '%zz', '%00', '%26', '%3D', '%2B',
  '%F0%9F', '%ED%A0%80', '..', '/', '//evil.example/', 'javascript:alert(1)', '<script>', 'a.b', ',', ',,1,,', '1,1,0',
  'e1.2', 'd9.9,c0.0', '\u202e', '\u200d', '\ud800', '\udc00x', '\u0000', '+', '&', '=', '#frag', '?', 'a'.repeat(300),
];
const KEYS = ['m', 'text', 'view', 'layer', 'head', 'cmap', 'range', 'display', 'lh', 'pin', 'pictures', 'q', 'k', 'vs', 'off',
  'ablate', 'run', 'hf', 'd', 'h', 'n', 'ff', 'seed', 'pe', 'causal', 'scale', 'x', '', 'M', 'text ', '__proto__'];
const CHARS = ['&', '=', '?', '%', '+', ' ', '#', ',', '.', '0', '9', '-', 'q', 'k', '\u00e9', '\ud83d\udc4b', '\ud800', '\u0000', '/'];

/** One mutation of a query string. */
function mutateQuery(g: Gen, s: string): string {
  const at = g.int(s.length + 1);
  switch (g.int(7)) {
    case 0: return s.slice(0, at) + g.pick(CHARS) + s.slice(at);                         // insert a character
    case 1: return s.slice(0, at) + s.slice(at + 1 + g.int(8));                            // delete a span
    case 2: return `${s}&${g.pick(KEYS)}=${g.pick(VALUES)}`;                             // add (or repeat) a parameter
    case 3: {                                                                              // set a parameter's value
      const q = new URLSearchParams(s);
      q.set(g.pick(KEYS), g.pick(VALUES));
      return `?${q}`;
    }
    case 4: return s.replace(/=[^&]*/, `=${g.pick(VALUES)}`);                             // raw value, unencoded
    case 5: return s.slice(0, at) + g.pick(URL_SEEDS).slice(g.int(40));                   // splice another seed in
    default: return s.slice(0, at) + s.slice(at, at + 1 + g.int(20)) + s.slice(at);        // duplicate a span
  }
}

/** What the URL carries of a state (queryFromState writes these; the others are the page's own). */
function carried(s: Partial<ExplorerState>) {
  const model = s.model!;
  return {
    model, labRun: s.labRun, hf: s.hf, text: s.texts?.[model], settings: model === 'untrained' ? s.settings : undefined,
    view: s.view, layer: s.layer, head: s.head, summary: s.summary, colormap: s.colormap, range: s.range, display: s.display,
    lineHeads: s.lineHeads, pin: s.pin, pictures: s.pictures, query: s.query, key: s.key, vs: s.vs, off: s.off, ablate: s.ablate,
  };
}

/** Checks one query string (with the page's reader and writer unless given others); returns what broke, or undefined. */
function checkQuery(search: string, write = queryFromState): string | undefined {
  let first: Partial<ExplorerState>, written: string, again: Partial<ExplorerState>;
  try {
    first = stateFromQuery(search, BASE);
    written = write(new Store(first).state);
    again = stateFromQuery(`?${written}`, BASE);
  } catch (e) {
    return `threw ${String(e)}`;
  }
  const a = JSON.stringify(carried(first)), b = JSON.stringify(carried(again));
  if (a !== b) return `does not read back:\n  ${a}\n  ${b}`;
  const rewritten = write(new Store(again).state);
  if (rewritten !== written) return `not a fixed point:\n  ${written}\n  ${rewritten}`;
  return undefined;
}

const RUN_FILE = {
  format: 'attn-lab-run', version: 1, name: 'Run 1',
  config: { task: { name: 'reverse', symbols: 10 }, model: { d_model: 32 }, run: { steps: 3 } },
  parameters: 1234, status: 'finished',
  history: { steps: [1, 2, 3], loss: [2.3, null, 1.1], lr: [0.001, 0.002, 0.003], grad_norm: [1, 2, 3] },
  evals: [{ step: 3, loss: 1.2, accuracy: 0.5 }], final: { exact: 0.5 }, trainSeconds: 1.5, tokens: 300, created: '2026-01-01',
};
const JSON_VALUES: unknown[] = [null, 0, -1, 1, 1.5, 1e308, '', 'x', 'attn-lab-run', true, false, [], [null], [1, 'a'], {}, { length: 3 },
  'a'.repeat(201), [1, 2, 3], [1, 2], { steps: [], loss: [], lr: [] }];

/** A run file with one value replaced, deleted or added somewhere in its tree. */
function mutateRunFile(g: Gen, x: unknown): unknown {
  if (x === null || typeof x !== 'object' || g.int(4) === 0) return g.int(3) ? g.pick(JSON_VALUES) : x;
  const copy = Object.assign(Array.isArray(x) ? [] : {}, x) as Record<string, unknown>;
  const keys = Object.keys(copy);
  const key = keys.length && g.int(5) ? g.pick(keys) : g.pick(['format', 'version', 'history', 'steps', 'grad_norm', 'evals', 'name', '__proto__']);
  if (g.int(6) === 0) delete copy[key];
  // An own property even for "__proto__", as JSON.parse makes it.
  else Object.defineProperty(copy, key, { value: mutateRunFile(g, copy[key]), enumerable: true, writable: true, configurable: true });
  return copy;
}

function checkRun(text: string, check = checkRunFile): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // the import says "not valid JSON" before checkRunFile
  }
  try {
    const f = check(parsed);
    const h = f.history;
    const arrays = [h.steps, h.loss, h.lr, ...(h.grad_norm ? [h.grad_norm] : [])];
    if (!arrays.every((a) => Array.isArray(a) && a.length === h.steps.length && a.every((v) => typeof v === 'number')))
      return 'an accepted history is not arrays of numbers of one length';
  } catch (e) {
    if (!(e instanceof Error) || !/^not a run exported by the lab \(.+\)$/.test(e.message)) return `threw ${String(e)}`;
  }
  return undefined;
}

describe(`fuzzing (${RUNS} inputs per parser, seed ${SEED})`, () => {
  it('the URL state parses any query string, and what it writes reads back to the same state', () => {
    const g = generator(SEED);
    for (let i = 0; i < RUNS; i++) {
      let s = g.pick(URL_SEEDS);
      for (let k = 1 + g.int(6); k > 0; k--) s = mutateQuery(g, s);
      const problem = checkQuery(s);
      if (problem) expect.fail(`input ${i}: ${JSON.stringify(s)}: ${problem}`);
    }
  }, 600_000);

  it('a run file either passes checkRunFile with a consistent history or fails with its message', () => {
    const g = generator(SEED);
    const text = JSON.stringify(RUN_FILE);
    for (let i = 0; i < RUNS; i++) {
      let input: string;
      if (g.int(4) === 0) {
        const at = g.int(text.length);  // byte-level: mostly not JSON any more, sometimes another valid file
        input = text.slice(0, at) + g.pick(['', '1', '"', ',', 'null', '[', ']', '{}']) + text.slice(at + g.int(4));
      } else {
        let x: unknown = RUN_FILE;
        for (let k = 1 + g.int(3); k > 0; k--) x = mutateRunFile(g, x);
        input = JSON.stringify(x) ?? 'null';
      }
      const problem = checkRun(input);
      if (problem) expect.fail(`input ${i}: ${input}: ${problem}`);
    }
  }, 600_000);

  it('keeps the inputs it found broken, now fixed', () => {
    // run= (empty) on its own was kept as a lab run that the written link dropped.
    expect(checkQuery('?m=lab&run=&display=model')).toBeUndefined();
    expect(stateFromQuery('?m=lab&run=', BASE).labRun).toBeUndefined();
    // A folder on another site was written back normalized (a "/" added), so the link named another key.
    expect(checkQuery('?hf=https://elsewhere.exaext=hello')).toBeUndefined();
    // Indices past 2^53 were written as "9.007199254740994e+31", which reads as no index.
    expect(checkQuery('?k=90071992547409939007199254740993')).toBeUndefined();
    expect(checkQuery('?lh=9007199254740993740993,2')).toBeUndefined();
    expect(stateFromQuery('?q=9007199254740993&lh=9007199254740993,2', BASE)).toMatchObject({ query: undefined, lineHeads: [2] });
  });

  it('reports a broken property (the checks are live)', () => {
    expect(checkQuery('?m=lm&layer=2')).toBeUndefined();
    const dropsLayer = (s: ExplorerState) => queryFromState(s).replace(/&layer=\d+/, '');
    expect(checkQuery('?m=lm&layer=2', dropsLayer)).toMatch(/does not read back/);
    const bad = '{"format":"attn-lab-run","version":1,"config":{},"history":null}';
    expect(checkRun(bad)).toBeUndefined();
    expect(checkRun(bad, (x) => (x as { history: { steps: unknown } }).history.steps as never)).toMatch(/^threw TypeError/);
    const lax = (x: unknown) => ({ ...(x as object), history: { steps: [1], loss: [], lr: [] } }) as unknown as ReturnType<typeof checkRunFile>;
    expect(checkRun(JSON.stringify(RUN_FILE), lax)).toMatch(/one length/);
  });
});
