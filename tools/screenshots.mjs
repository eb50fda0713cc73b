// The README's pictures of the explorer's views (docs/img/*.png), taken from the built page in headless Chromium.
//
//   node tools/screenshots.mjs [dist]        (dist: the built page, default web/dist; tools/build.sh makes it)
//
// Each picture is the explorer's view panel for one URL state, after the engine has computed it (the explorer's
// store says the analysis of that text is shown and nothing is busy) and, for the displays that compute more
// (rollout, the neuron view's vectors, the ablation ranking), after that is drawn too.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.resolve(process.argv[2] ?? path.join(root, 'web/dist'));
const out = path.join(root, 'docs/img');
const { chromium } = await import(path.join(root, 'web/node_modules/playwright-core/index.mjs'));

const ANIMAL = "The animal didn't cross the street because it was too tired";
const q = (o) => new URLSearchParams(o).toString();
/** name → the explorer's URL state, and what to wait for inside the view panel once the analysis is shown. */
const SHOTS = [
  ['heatmap', q({ m: 'lm', text: ANIMAL, layer: '0', head: '3' }), 'attn-heatmap canvas'],
  ['lines', q({ m: 'lm', text: ANIMAL, display: 'lines', layer: '2', pin: 'q10' }), 'attn-lines canvas.lines-canvas'],
  ['model', q({ m: 'tagger', text: 'The old dog slowly crossed the busy street.', display: 'model' }), 'attn-model-view canvas.thumbs'],
  ['neuron', q({ m: 'lm', text: ANIMAL, display: 'neuron', layer: '0', head: '3' }), 'attn-strips'],
  ['compare', q({ m: 'tagger', text: ANIMAL, display: 'compare', vs: ANIMAL.replace('tired', 'wide'), layer: '0', head: 'mean' }), 'attn-heatmap.diff canvas'],
  ['ablation', q({ m: 'lm', text: 'He went to New York. She also went to New', display: 'ablation', off: '1.4' }), 'attn-ablation-panel'],
  ['rollout', q({ m: 'lm', text: ANIMAL, layer: '3', head: 'rollout' }), 'attn-heatmap canvas'],
  ['cross', q({ m: 'dates', text: '23rd of Nov. 2026', view: 'cross', display: 'lines', layer: '1' }), 'attn-lines canvas.lines-canvas'],
];

mkdirSync(out, { recursive: true });
const { server, url } = await serve({ dir: dist, port: 0, isolate: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  for (const [name, query, ready] of SHOTS) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
    page.on('console', (m) => m.type() === 'error' && console.error(`${name}: console error: ${m.text()}`));
    await page.goto(`${url}?${query}`);
    await page.waitForFunction(() => {
      const s = document.querySelector('attn-explorer')?.store?.state;
      return s && s.analysis?.model === s.model && !s.busy;
    }, undefined, { timeout: 120000 });
    const panel = page.locator('attn-explorer section.panel.view');
    await panel.locator(ready).first().waitFor({ timeout: 120000 });
    await page.waitForTimeout(1500); // the follow-up computations (rollout, ranking, vectors) and a frame
    await panel.screenshot({ path: path.join(out, `${name}.png`) });
    console.log(`docs/img/${name}.png`);
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
