// The explorer's speed as a learner meets it, in headless Chromium (issue #11, goals 1 and 2), for the page's own
// models: the language model, the tagger and the date translator (trained, shipped with the page), and the
// untrained model at 128 and 512 tokens.
//   - cold load: a fresh browser profile (empty cache) navigates to index.html?m=<model>; from navigation to the
//     first heatmap painted (bench/page_clock.mjs says how "painted" is timed), with the worker's phases: engine
//     started, model built, first analysis done;
//   - warm load: the same page again in the same profile (cache warm);
//   - keystrokes: characters typed 250 ms apart at the end of a text of about 64 tokens (128 and 512 for the
//     untrained model), each from its `input` event to the heatmap of that text painted: p50 / p95 / max.
// Prints a table. A benchmark, not a test: numbers depend on the machine and on what else runs.
//
//   node bench/page_bench.mjs [lm tagger dates untrained]      (after tools/build.sh)
//   RUNS=5 node bench/page_bench.mjs                            loads measured 5 times each (default 3)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clockFirstPaint, clockKeystrokes, percentile, workerMarks } from './page_clock.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = await import(path.join(root, 'web/node_modules/playwright-core/index.mjs'));
const { serve } = await import(path.join(root, 'tools/serve.mjs'));

const RUNS = Number(process.env.RUNS ?? 3);
const KEYS = ' and then they all went home to sleep';
const models = process.argv.slice(2).length ? process.argv.slice(2) : ['lm', 'tagger', 'dates', 'untrained'];

const served = await serve({ dir: path.join(root, 'web/dist'), port: 0, isolate: false });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const VIEWPORT = { width: 1400, height: 1000 };

/** Navigates `page` to the model's page and returns [ms to the first heatmap painted, worker marks]. */
async function load(page, model) {
  await page.goto(`${served.url}index.html?m=${model}`);
  await page.waitForFunction(() => window.__firstPaint, null, { timeout: 60000 });
  const t = await page.evaluate(() => window.__firstPaint);
  return [t, await workerMarks(page)];
}

const settled = (page) =>
  page.waitForFunction(() => {
    const s = document.querySelector('attn-explorer').store.state;
    return s.analysis?.text === s.texts[s.model] && !s.busy;
  }, null, { timeout: 60000, polling: 'raf' });

const tokensShown = (page) => page.evaluate(() => document.querySelector('attn-explorer').store.state.analysis.tokens.length);

/** Keystrokes at the end of a text grown from the model's preset to about `want` tokens (or as far as it goes). */
async function keystrokes(page, want) {
  const preset = await page.evaluate(() => { const s = document.querySelector('attn-explorer').store.state; return s.texts[s.model]; });
  const words = `${preset} `.repeat(Math.ceil(want / 2)).split(/\s+/).filter(Boolean);
  const target = want - 8; // the typed words add some
  let n = 0;
  for (let tries = 0, count = 8; tries < 6; tries++) {
    await page.locator('attn-explorer textarea').fill(words.slice(0, count).join(' '));
    await settled(page);
    const got = await tokensShown(page);
    if (Math.abs(got - target) <= 4 || got === n || count >= words.length) break; // close, or the model reads no more
    n = got;
    count = Math.min(words.length, Math.max(1, Math.round((count * target) / Math.max(got, 1))));
  }
  await clockKeystrokes(page);
  await page.locator('attn-explorer textarea').focus();
  await page.keyboard.press('End');
  for (const ch of KEYS) {
    await page.keyboard.type(ch);
    await page.waitForTimeout(250);
  }
  await settled(page);
  const pairs = await page.evaluate(() => window.__keys);
  return { ms: pairs.map((p) => p[0]), engine: pairs.map((p) => p[1]), tokens: await tokensShown(page) };
}

const median = (xs) => percentile(xs, 0.5);
const rows = [];
for (const model of models) {
  const cold = [];
  const warm = [];
  let context;
  for (let r = 0; r < RUNS; r++) {
    await context?.close();
    context = await browser.newContext({ viewport: VIEWPORT });
    await clockFirstPaint(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
    cold.push(await load(page, model));
    await page.close();
  }
  for (let r = 0; r < RUNS; r++) {
    const page = await context.newPage();
    warm.push(await load(page, model));
    await page.close();
  }
  const page = await context.newPage();
  await load(page, model);
  await settled(page);
  const typing = model === 'untrained' ? [await keystrokes(page, 128), await keystrokes(page, 512)] : [await keystrokes(page, 64)];
  await page.close();
  await context.close();
  const phase = (runs, name) => median(runs.map(([, m]) => m[Object.keys(m).find((k) => k.startsWith(name))] ?? NaN));
  rows.push({ model, cold: median(cold.map((c) => c[0])), warm: median(warm.map((c) => c[0])), phases: ['attn:engine-ready', 'attn:loaded', 'attn:analysis'].map((n) => phase(cold, n)), typing });
  console.error(`${model}: done`);
}
await browser.close();
served.server.close();

const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)}` : '–');
console.log(`\n| model | cold load → first heatmap (engine ready / model ready / first analysis), median of ${RUNS} | warm load | keystroke → heatmap p50 / p95 / max (n) | of which the engine, p50 | tokens |`);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  for (const [i, k] of r.typing.entries())
    console.log(`| ${r.model} | ${i ? '' : `${ms(r.cold)} ms (${r.phases.map(ms).join(' / ')})`} | ${i ? '' : `${ms(r.warm)} ms`} | ` +
      `${ms(percentile(k.ms, 0.5))} / ${ms(percentile(k.ms, 0.95))} / ${ms(Math.max(...k.ms))} ms (${k.ms.length}) | ${percentile(k.engine, 0.5).toFixed(1)} ms | ${k.tokens} |`);
