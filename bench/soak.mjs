// A soak of the page (#14 item 3), in headless Chromium: many edits in the explorer across models and displays
// (typing, chip edits, model, layer and display switches) and lab runs in a row (start, pause, resume, stop,
// delete). Every so often it samples each worker's engine memory (the WebAssembly memory and the bytes malloc has
// handed out: Engine.memoryUse), the engine objects alive in it (Engine.liveHandles), the page's JS heap after a
// garbage collection (CDP), and counts console errors. It prints the curves as tables and says, per curve, whether
// every sample after warm-up (every model and display shown once; the lab's first run) stays within 10% of the
// curve's median (engine handles: never above their first count).
//
//   node bench/soak.mjs                      2,000 edits and 20 lab runs on web/dist (after tools/build.sh)
//   EDITS=500 RUNS=5 node bench/soak.mjs     shorter
//   DIST=/tmp/dist node bench/soak.mjs       another build of the site
// tests/e2e/soak.test.ts runs a shorter soak through soakExplorer / soakLab with the e2e harness's browser.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** How far a curve may drift from its level after warm-up. */
export const TOLERANCE = 0.1;

const TEXTS = {
  lm: 'The animal did not cross the street because it was too tired',
  tagger: 'The old man the boat while the children watch',
  dates: 'Nov. 23rd 2026',
  untrained: 'one two three four five six seven',
};
const WORDS = ['cat', 'river', 'quickly', 'the', 'of', 'green', 'runs', 'é', '東京', '!', '2026', 'Monday'];
/**
 * Texts with as many tokens as the soak's texts can have (90 characters, then a word typed or put in by a chip edit):
 * what grows with a text is its number of tokens, and random letters make many more of them per character than
 * words do: letters without spaces (a subword tokenizer's most pieces) and letters with spaces (a word-level one's
 * most words).
 */
const LONG_TEXTS = ['qzxjvkwpyfgb'.repeat(10).slice(0, 110), 'q z x j v k w p y f g b '.repeat(5).slice(0, 110)];
const DISPLAYS = ['heatmap', 'lines', 'model', 'neuron', 'compare', 'ablation'];

/** A deterministic random source (the same soak every run). */
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** The page's JS heap in bytes after a full garbage collection (CDP), so the curve shows what is kept. */
async function jsHeap(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

/** Waits until the explorer shows the analysis of its current text (or gives up after `ms`). */
function settled(page, ms = 30000) {
  return page.waitForFunction(() => {
    const ex = document.querySelector('attn-explorer');
    const s = ex?.store.state;
    return s && !s.busy && s.models[s.model]?.state !== 'loading' && s.analysis?.text === ex.store.text && s.analysis.model === s.model;
  }, null, { timeout: ms, polling: 100 });
}

/** The explorer worker's engine memory and live handles (the 'engineMemory' call). */
function explorerEngine(page) {
  return page.evaluate(() => {
    const ex = document.querySelector('attn-explorer');
    return (ex.engine ?? ex.client).call('engineMemory', {}, 'soak');
  });
}

/**
 * `edits` edits in the explorer of `page` (opened on index.html): typing and deleting characters, chip edits
 * (edit, insert, delete, move), and now and then another model, layer or display. Samples every `every` edits.
 * Returns the samples [{edit, wasm, heap, handles, js}] and the console errors seen.
 */
export async function soakExplorer(page, { edits = 2000, every = 100, seed = 1, log = () => {} } = {}) {
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  const cdp = await page.context().newCDPSession(page);
  const random = rng(seed);
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  const explorer = page.locator('attn-explorer');
  const field = explorer.locator('textarea').first();
  await settled(page, 60000);
  // Warm-up: every model loaded (each keeps its model and tokenizer in the engine) and shown in every display once
  // (what a display computes for a model, the ablation's head means say, is kept with it), then given texts with as
  // many tokens as the soak's can have (typing starts again from the preset past 90 characters): a model's working
  // tensors keep the size of the longest text they saw, so the level after warm-up includes it.
  // And each model's head statistics computed to the end: the worker runs the model over its held-out texts (some
  // longer than the soak's) a few at a time between analyses, so while typing keeps it busy they finish late, and
  // the working tensors grow to the longest of those texts only then.
  for (const m of [...Object.keys(TEXTS).filter((x) => x !== 'lm'), 'lm']) {
    await explorer.locator(`model-picker button[data-card="${m}"]`).click();
    await settled(page, 60000);
    await page.waitForFunction((id) => {
      const s = document.querySelector('attn-explorer')?.store.state;
      const status = s?.models[id];
      return status?.state === 'ready' && !status.info.statsProgress;
    }, m, { timeout: 120000, polling: 200 });
    for (const d of [...DISPLAYS.slice(1), DISPLAYS[0]]) {
      await explorer.locator(`button.display-tab[data-display="${d}"]`).click();
      await settled(page);
      for (const long of LONG_TEXTS) {
        await field.fill(long);
        await settled(page);
      }
      await field.fill(TEXTS[m]);
      await settled(page);
    }
  }
  const samples = [];
  const sample = async (edit) => {
    await settled(page);
    const e = await explorerEngine(page);
    samples.push({ edit, wasm: e.memoryBytes, heap: e.heapBytes, handles: e.handles.total, js: await jsHeap(cdp) });
    log(`explorer: ${edit} edits`);
  };
  await sample(0);
  let model = 'lm';
  for (let n = 1; n <= edits; n++) {
    const r = random();
    if (n % 50 === 0) {
      // Another model (each loads once; the untrained one is rebuilt for its settings), its preset-like text.
      model = pick(Object.keys(TEXTS).filter((m) => m !== model));
      await explorer.locator(`model-picker button[data-card="${model}"]`).click();
      await settled(page, 60000);
      await field.fill(TEXTS[model]);
    } else if (n % 25 === 0) {
      await explorer.locator(`button.display-tab[data-display="${pick(DISPLAYS)}"]`).click();
    } else if (n % 10 === 0) {
      const layers = explorer.locator('button.layer');
      const count = await layers.count();
      if (count) await layers.nth(Math.floor(random() * count)).click();
    } else if (r < 0.55) {
      // Typing at the end (the text stays short enough to read: a model's preset again past 90 characters).
      const text = await field.inputValue();
      if (text.length > 90) await field.fill(TEXTS[model]);
      else {
        await field.focus();
        await page.keyboard.press('End');
        if (random() < 0.25 && text.length > 5) await page.keyboard.press('Backspace');
        else await page.keyboard.type(random() < 0.3 ? ` ${pick(WORDS)}` : pick('abcdefghijklmnopqrstuvwxyz'.split('')));
      }
    } else {
      // A chip edit through the chips' own buttons and keys.
      const chips = explorer.locator('token-chips li.chip:not(.special)');
      const count = await chips.count();
      if (count < 2 || (await field.inputValue()).length > 90) {
        await field.fill(TEXTS[model]);
      } else {
        const chip = chips.nth(Math.floor(random() * count));
        const op = random();
        if (op < 0.3 && count > 3) await chip.locator('button.del').click();
        else if (op < 0.55) {
          await chip.locator('button.chip-text').click();
          const input = explorer.locator('token-chips input.chip-input');
          await input.fill(pick(WORDS));
          await input.press('Enter');
        } else if (op < 0.8) {
          await chip.locator('button.chip-text').focus();
          await page.keyboard.press(random() < 0.5 ? 'Alt+ArrowRight' : 'Alt+ArrowLeft');
        } else {
          // Insert: "new" after the chip, opened for editing once it is a chip of its own (in a character-level
          // model it is three: then it stays as typed).
          await chip.locator('button.ins').click({ force: true }); // shown on hover or focus
          await settled(page);
          const input = explorer.locator('token-chips input.chip-input');
          if (await input.isVisible()) {
            await input.fill(pick(WORDS));
            await input.press('Enter');
          }
        }
      }
    }
    await settled(page);
    if (n % every === 0) await sample(n);
  }
  await cdp.detach();
  return { samples, errors };
}

/** The lab worker's engine memory, live handles and runs held (the 'memory' request). */
function labEngine(page) {
  return page.evaluate(() => {
    const store = document.querySelector('attn-lab').store;
    return (store.engine ?? store.client).memory();
  });
}

const labStatus = (page) => page.locator('attn-lab .status').first().innerText();

async function waitLab(page, re, ms = 120000) {
  const t0 = Date.now();
  for (;;) {
    const s = await labStatus(page);
    if (re.test(s)) return;
    if (Date.now() - t0 > ms) throw new Error(`the lab says "${s}", not ${re}`);
    await page.waitForTimeout(100);
  }
}

const labSteps = (page) => page.evaluate(() => document.querySelector('attn-lab').store.state.runs.at(-1)?.steps.length ?? 0);

async function waitSteps(page, n) {
  await page.waitForFunction((k) => (document.querySelector('attn-lab').store.state.runs.at(-1)?.steps.length ?? 0) >= k, n, { timeout: 120000 });
}

/**
 * `runs` training runs in a row in the lab of `page` (opened on lab.html with a short configuration): each started,
 * paused, resumed, stopped (evaluated) and deleted. Samples after each run. Returns the samples
 * [{run, wasm, heap, handles, runs, js}] and the console errors seen.
 */
export async function soakLab(page, { runs = 20, log = () => {} } = {}) {
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  const cdp = await page.context().newCDPSession(page);
  const lab = page.locator('attn-lab');
  await page.waitForFunction(() => document.querySelector('attn-lab')?.store?.state.validation?.ok === true, null, { timeout: 60000 });
  const samples = [];
  for (let k = 1; k <= runs; k++) {
    await lab.locator('[data-action=start]').click();
    await waitSteps(page, 20);
    await lab.locator('[data-action=pause]').click();
    await waitLab(page, /Paused/);
    await lab.locator('[data-action=resume]').click();
    const at = await labSteps(page);
    await waitSteps(page, at + 20);
    await lab.locator('[data-action=stop]').click();
    await waitLab(page, /Stopped|Finished/);
    await lab.locator('lab-runs tbody tr').first().locator('button', { hasText: 'Delete' }).click();
    await page.waitForFunction(() => document.querySelector('attn-lab').store.state.runs.length === 0, null, { timeout: 30000 });
    const e = await labEngine(page);
    samples.push({ run: k, wasm: e.memoryBytes, heap: e.heapBytes, handles: e.handles.total, runs: e.runs, js: await jsHeap(cdp) });
    log(`lab: ${k} runs`);
  }
  await cdp.detach();
  return { samples, errors };
}

/**
 * Per curve of samples taken after warm-up: its level (the median), the largest drift from it, and pass (every
 * sample within TOLERANCE of the level; engine handles and runs: never above the first sample's count).
 */
export function judge(samples, keys) {
  return Object.fromEntries(
    keys.map((k) => {
      const counts = k === 'handles' || k === 'runs';
      const sorted = samples.map((s) => s[k]).sort((a, b) => a - b);
      const base = counts ? (samples[0]?.[k] ?? 0) : (sorted[Math.floor(sorted.length / 2)] ?? 0);
      const drift = Math.max(0, ...samples.map((s) => Math.abs(s[k] - base) / Math.max(base, 1)));
      const pass = counts ? samples.every((s) => s[k] <= base) : drift <= TOLERANCE;
      return [k, { base, drift, pass }];
    }),
  );
}

const MB = (b) => (b / 2 ** 20).toFixed(1);

/** The samples as a table (MB for memory), and the verdict per curve. */
export function table(title, samples, keys, first) {
  const verdict = judge(samples, keys);
  const lines = [title, [first, ...keys].map((k) => k.padStart(9)).join(' ')];
  for (const s of samples) lines.push([s[first], ...keys.map((k) => (k === 'handles' || k === 'runs' ? String(s[k]) : MB(s[k])))].map((v) => String(v).padStart(9)).join(' '));
  lines.push(keys.map((k) => `${k}: ${verdict[k].pass ? 'pass' : 'FAIL'} (at most ${(100 * verdict[k].drift).toFixed(1)}% from ${k === 'handles' || k === 'runs' ? verdict[k].base : `${MB(verdict[k].base)} MB`})`).join('; '));
  return { text: lines.join('\n'), verdict };
}

export const EXPLORER_KEYS = ['wasm', 'heap', 'handles', 'js'];
export const LAB_KEYS = ['wasm', 'heap', 'handles', 'runs', 'js'];

function isMain() {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const { chromium } = await import(path.join(root, 'web/node_modules/playwright-core/index.mjs'));
  const { serve } = await import(path.join(root, 'tools/serve.mjs'));
  const served = await serve({ dir: process.env.DIST ?? path.join(root, 'web/dist'), port: 0, isolate: false });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const t0 = Date.now();
  const log = (s) => process.stderr.write(`\r${s} (${((Date.now() - t0) / 1000).toFixed(0)} s)   `);
  let failed = false;
  try {
    const edits = Number(process.env.EDITS ?? 2000);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${served.url}index.html?m=lm`);
    const ex = await soakExplorer(page, { edits, every: Math.max(10, Math.round(edits / 20)), log });
    const a = table(`\nExplorer: ${edits} edits (MB; js = the page's JS heap after GC)`, ex.samples, EXPLORER_KEYS, 'edit');
    console.log(a.text);
    console.log(`console errors: ${ex.errors.length}${ex.errors.length ? `: ${ex.errors.slice(0, 5).join(' | ')}` : ''}`);
    await page.close();

    const runs = Number(process.env.RUNS ?? 20);
    const labPage = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    await labPage.goto(`${served.url}lab.html?steps=3000&max-len=6&eval-every=50`);
    const lab = await soakLab(labPage, { runs, log });
    const b = table(`\nLab: ${runs} runs, each started, paused, resumed, stopped and deleted (MB)`, lab.samples, LAB_KEYS, 'run');
    console.log(b.text);
    console.log(`console errors: ${lab.errors.length}${lab.errors.length ? `: ${lab.errors.slice(0, 5).join(' | ')}` : ''}`);
    failed = [a, b].some((t) => Object.values(t.verdict).some((v) => !v.pass)) || ex.errors.length > 0 || lab.errors.length > 0;
    console.log(`\n${failed ? 'FAIL' : 'pass'}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    await browser.close();
    served.server.close();
  }
  process.exit(failed ? 1 : 0);
}
