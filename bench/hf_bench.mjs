// Real-model speed in the page, in headless Chromium: GPT-2-small-sized and BERT-base-sized checkpoints (random
// weights in the Hub's layout, made by tests/golden/make_hf.py with the project's tokenizer fixtures), opened in
// the explorer as a learner opens them. For each it measures:
//   - first open: from choosing the files (file picker) to the first heatmap painted (read, checked, built,
//     stored in IndexedDB, analyzed);
//   - reopen from the browser's storage: a fresh page at ?m=hf&hf=<id>, from navigation to the first heatmap;
//   - keystrokes: appending one character at a time at the end of a text of about 64 tokens, 250 ms apart, from
//     the `input` event to the frame in which the new heatmap is painted (p50, p95, max; GPT-2 continues its cached
//     pass, BERT recomputes the whole text);
//   - a full pass over 128 tokens, as the worker times it.
// Each model is measured twice: on the page served cross-origin isolated with ?threads=2 (the engine's build with
// threads, two of them) and not isolated (the single-threaded build, which is also what an isolated page runs by
// default on a 2-core machine: it keeps a core for the page).
// It prints a table. A benchmark, not a test: numbers depend on the machine and on what else runs.
//
//   node bench/hf_bench.mjs [gpt2-small bert-base]      (run tools/build.sh first; needs python3-torch once, to
//                                                        make the checkpoints in build/bench/hf/)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clockKeystrokes, percentile } from './page_clock.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = await import(path.join(root, 'web/node_modules/playwright-core/index.mjs'));
const { serve } = await import(path.join(root, 'tools/serve.mjs'));

const MODELS = {
  'gpt2-small': { family: 'gpt2', tokenizer: 'gpt2', args: ['--layers', '12', '--d-model', '768', '--heads', '12', '--ffn', '3072', '--vocab', '50257', '--positions', '1024'] },
  'bert-base': { family: 'bert', tokenizer: 'bert-uncased', args: ['--layers', '12', '--d-model', '768', '--heads', '12', '--ffn', '3072', '--vocab', '30522', '--positions', '512'] },
};
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(MODELS);
const hfDir = path.join(root, 'build/bench/hf');

// The checkpoints: the model at its real size, and the project's tokenizer files (a smaller vocabulary than the
// model's, which the loader allows: the model's extra rows are never used).
for (const name of names) {
  const m = MODELS[name];
  const dir = path.join(hfDir, name);
  if (existsSync(path.join(dir, 'model.safetensors'))) continue;
  console.error(`making ${name} in ${path.relative(root, dir)} (python3-torch)…`);
  mkdirSync(dir, { recursive: true });
  execFileSync('/usr/bin/python3', [path.join(root, 'tests/golden/make_hf.py'), 'folder', '--family', m.family, '--out', dir, ...m.args], { stdio: 'inherit' });
  cpSync(path.join(root, 'tests/fixtures/hf/tokenizers', m.tokenizer), dir, { recursive: true });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
// Each model twice: the page cross-origin isolated (the engine's build with threads) and not (one thread). Each
// mode has its own server, so its own origin and browser storage.
let url;
let context;
let extra = ''; // query parameters of the mode

const TEXT = 'The animal did not cross the street because it was too tired, and the street was too wide for it';

/** Resolves when the explorer shows the analysis of its current text, painted (the next animation frame). */
const settled = (page, timeout = 600000) =>
  page.waitForFunction(() => {
    const s = document.querySelector('attn-explorer').store.state;
    return s.model === 'hf' && s.analysis?.model === 'hf' && s.analysis.text === s.texts.hf && !s.busy;
  }, null, { timeout, polling: 'raf' });



async function bench(name) {
  const dir = path.join(hfDir, name);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
  await page.goto(`${url}index.html${extra ? `?${extra}` : ''}`);
  await page.waitForFunction(() => document.querySelector('attn-explorer')?.store.state.engine.state === 'ready', null, { timeout: 60000 });
  // 1. First open, through the file picker.
  let t0 = Date.now();
  await page.locator('hf-open input.files').setInputFiles(readdirSync(dir).map((f) => path.join(dir, f)));
  await settled(page);
  const firstOpen = (Date.now() - t0) / 1000;
  const id = await page.evaluate(() => document.querySelector('attn-explorer').store.state.hf);
  const threads = await page.evaluate(() => document.querySelector('attn-explorer').store.state.engine.info.threads);
  const memory = await page.evaluate(() => document.querySelector('attn-explorer').store.state.models.hf?.info?.hf?.memoryBytes);
  await page.close();

  // 2. Reopen from the browser's storage: a fresh page.
  const again = await context.newPage();
  t0 = Date.now();
  await again.goto(`${url}index.html?m=hf&hf=${encodeURIComponent(id)}${extra ? `&${extra}` : ''}`);
  await settled(again);
  const reopen = (Date.now() - t0) / 1000;

  // The head statistics run after the first picture (a dozen texts, one forward pass each); typing is measured once
  // they are done, and the time they take is reported.
  t0 = Date.now();
  await again.waitForFunction(() => {
    const info = document.querySelector('attn-explorer').store.state.models.hf?.info;
    return info && !info.statsProgress && Object.keys(info.stats).length > 0;
  }, null, { timeout: 600000, polling: 200 });
  const stats = reopen + (Date.now() - t0) / 1000;

  // 3. Keystrokes at the end of a text of about 64 tokens, each from its `input` event to the heatmap of that very
  // text painted (bench/page_clock.mjs).
  const words = `${TEXT} ${TEXT} ${TEXT}`.split(' ');
  let prefix = '';
  for (let n = 8; n <= words.length; n += 2) {  // grow the text until the model reads about 60 tokens
    prefix = words.slice(0, n).join(' ');
    await again.locator('attn-explorer textarea').fill(prefix);
    await settled(again);
    if ((await again.evaluate(() => document.querySelector('attn-explorer').store.state.analysis.tokens.length)) >= 60) break;
  }
  await clockKeystrokes(again);
  await again.locator('attn-explorer textarea').focus();
  await again.keyboard.press('End');
  for (const ch of ' and then they all went home to sleep') {
    await again.keyboard.type(ch);
    await again.waitForTimeout(250);
  }
  await settled(again);
  const pairs = await again.evaluate(() => window.__keys);
  const marks = pairs.map((p) => p[0]);
  const engine = pairs.map((p) => p[1]);
  const nTokens = await again.evaluate(() => document.querySelector('attn-explorer').store.state.analysis.tokens.length);

  // 4. A full pass over 128 tokens (a text that does not continue the last one), as the worker times it.
  const long = (TEXT + '. ' + TEXT + '. ' + TEXT).split(' ').slice(0, 110).join(' ');
  await again.locator('attn-explorer textarea').fill(long);
  await settled(again);
  const full = await again.evaluate(() => {
    const a = document.querySelector('attn-explorer').store.state.analysis;
    return { ms: a.ms, tokens: a.tokens.length };
  });
  await again.close();
  return { name, threads, firstOpen, reopen, stats, memory, marks, engine, nTokens, full };
}

const rows = [];
for (const mode of [{ isolate: true, query: 'threads=2' }, { isolate: false, query: '' }]) {
  const served = await serve({ dir: path.join(root, 'web/dist'), port: 0, mounts: { '/bench-hf/': hfDir }, isolate: mode.isolate });
  url = served.url;
  extra = mode.query;
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  for (const name of names) rows.push(await bench(name));
  await context.close();
  served.server.close();
}
await browser.close();

console.log('\n| model | engine | first open (files → heatmap) | reopen from storage (navigation → heatmap) | head statistics done | engine memory | keystroke → heatmap, p50 / p95 / max (n) | of which the engine, p50 | tokens | full pass |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const k = r.marks;
  console.log(`| ${r.name} | ${r.threads > 1 ? `${r.threads} threads` : '1 thread'} | ${r.firstOpen.toFixed(1)} s | ${r.reopen.toFixed(1)} s | ${r.stats.toFixed(1)} s | ${Math.round(r.memory / 2 ** 20)} MB | ` +
    `${percentile(k, 0.5).toFixed(0)} / ${percentile(k, 0.95).toFixed(0)} / ${Math.max(...k).toFixed(0)} ms (${k.length}) | ${percentile(r.engine, 0.5).toFixed(0)} ms | ${r.nTokens} | ` +
    `${r.full.ms.toFixed(0)} ms at ${r.full.tokens} tokens |`);
}
