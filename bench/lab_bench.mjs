// The training lab's time to accuracy, in headless Chromium, next to the native trainer on the same configs.
//
// For each preset of the lab it opens web/dist/lab.html (served by tools/serve.mjs, as a learner would), picks
// the preset in the page, presses Start and waits for the run to finish. It records the page's training time
// (evaluations excluded), the training time at which held-out exact match first reached the target, the
// final held-out exact match of greedy decoding, and steps/s. Then it trains the exact same config (the run's
// resolved config, exported from the page) with build/native/attn-train and reads its steps/s. It prints a
// table with the ratio and writes web/src/lab/native-speed.json, which the page shows next to its own speed.
//
//   node bench/lab_bench.mjs [preset ...]       (default: every preset; run tools/build.sh first)
//   BENCH_NO_WRITE=1 node bench/lab_bench.mjs   measure only
//   BENCH_THREADS=2 node bench/lab_bench.mjs    the page cross-origin isolated with ?threads=2 (the engine's build
//                                               with threads); measures only (native-speed.json is one thread's)
// A benchmark, not a test: numbers depend on the machine and on what else runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = await import(path.join(root, 'web/node_modules/playwright-core/index.mjs'));
const { serve } = await import(path.join(root, 'tools/serve.mjs'));

const TARGET = 0.99;
const ALL = ['reverse', 'reverse10', 'copy', 'sort', 'repeat', 'dates', 'summarize'];
const presets = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
const out = path.join(root, 'build/bench');
mkdirSync(out, { recursive: true });

const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const { server, url } = await serve({ dir: path.join(root, 'web/dist'), port: 0, isolate: THREADS > 1 });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

async function inPage(preset) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
  await page.goto(`${url}lab.html${THREADS > 1 ? `?threads=${THREADS}` : ''}`);
  if (THREADS > 1 && !(await page.evaluate(() => crossOriginIsolated))) throw new Error('the page is not cross-origin isolated: no threads');
  // Ready: the lab has checked exactly the configuration its attributes hold, and it is valid.
  const ready = () =>
    page.waitForFunction(() => {
      const el = document.querySelector('attn-lab');
      return !el.busy && el.dataset.computed === JSON.stringify(el.stateAttributes()) && el.store.state.validation?.ok;
    }, null, { timeout: 60000 });
  await ready();
  await page.locator('attn-lab select.preset-pick').selectOption(preset);
  await ready();
  const t0 = Date.now();
  await page.locator('attn-lab [data-action=start]').click();
  await page.waitForFunction(() => {
    const r = document.querySelector('attn-lab').store.state.runs.at(-1);
    return r && ['finished', 'stopped', 'diverged', 'failed'].includes(r.status);
  }, null, { timeout: 600000, polling: 200 });
  const wall = (Date.now() - t0) / 1000;
  const r = await page.evaluate(() => {
    const x = document.querySelector('attn-lab').store.state.runs.at(-1);
    return { status: x.status, config: x.engineConfig, steps: x.steps.length, trainSeconds: x.trainSeconds, final: x.final, evals: x.evals };
  });
  await page.close();
  const hit = r.evals.find((e) => e.exactMatch >= TARGET);
  return { ...r, wall, toTarget: hit ? { step: hit.step, seconds: hit.seconds } : undefined };
}

function native(config, preset) {
  const file = path.join(out, `lab-${preset}.json`);
  writeFileSync(file, JSON.stringify(config));
  const text = execFileSync(path.join(root, 'build/native/attn-train'), ['--config', file, '--quiet'], { encoding: 'utf8' });
  const m = text.match(/training: ([\d.]+) s for (\d+) steps, ([\d.]+) steps\/s/);
  const g = text.match(/([\d.]+)% \(greedy decoding/);
  if (!m) throw new Error(`attn-train printed no timing:\n${text}`);
  return { seconds: Number(m[1]), stepsPerSecond: Number(m[3]), greedy: g ? Number(g[1]) / 100 : NaN };
}

const rows = [];
for (const preset of presets) {
  process.stderr.write(`== ${preset}: in Chromium… `);
  const p = await inPage(preset);
  process.stderr.write(`${p.trainSeconds.toFixed(1)} s; natively… `);
  const n = native(p.config, preset);
  process.stderr.write(`${n.seconds.toFixed(1)} s\n`);
  rows.push({ preset, page: p, native: n });
}
const chromiumVersion = browser.version();
await browser.close();
server.close();

const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '–');
console.log(`\nTraining lab, headless Chromium ${chromiumVersion} vs native attn-train (${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores; the page ${THREADS > 1 ? `with ?threads=${THREADS}` : 'on one thread'}, native on one)\n`);
console.log('| preset | steps | page: training time | page: time to ≥99% held-out exact match (step) | page: final exact match, generated | page steps/s | native steps/s | page / native |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { preset, page: p, native: n } of rows) {
  const rate = p.steps / p.trainSeconds;
  const to = p.toTarget ? `${p.toTarget.seconds.toFixed(1)} s (${p.toTarget.step})` : `not reached`;
  console.log(`| ${preset} | ${p.steps} | ${p.trainSeconds.toFixed(1)} s (wall ${p.wall.toFixed(1)} s) | ${to} | ${pct(p.final?.greedyExactMatch)} | ${rate.toFixed(1)} | ${n.stepsPerSecond.toFixed(1)} | ${(rate / n.stepsPerSecond).toFixed(2)}× |`);
}

if (!process.env.BENCH_NO_WRITE && THREADS === 1) {
  const file = path.join(root, 'web/src/lab/native-speed.json');
  const previous = JSON.parse(readFileSync(file, 'utf8')).runs.filter((e) => !rows.some((r) => r.preset === e.preset));
  const runs = [...previous, ...rows.map(({ preset, page: p, native: n }) => ({
    preset,
    config: p.config,
    native_steps_per_s: Number(n.stepsPerSecond.toFixed(1)),
    page_steps_per_s: Number((p.steps / p.trainSeconds).toFixed(1)),
    page_seconds_to_99: p.toTarget ? Number(p.toTarget.seconds.toFixed(1)) : null,
    page_final_greedy_exact_match: p.final?.greedyExactMatch ?? null,
  }))];
  runs.sort((a, b) => ALL.indexOf(a.preset) - ALL.indexOf(b.preset));
  const measured = { measured: new Date().toISOString().slice(0, 10), machine: `${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores`, runs };
  writeFileSync(file, `${JSON.stringify(measured, null, 1)}\n`);
  console.log(`\nwrote ${path.relative(root, file)} (rebuild the page to show it)`);
}
