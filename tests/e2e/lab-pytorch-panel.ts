// The training lab's PyTorch panel (<lab-pytorch>) checked end to end, for the e2e tests of the lab's transformer
// and LSTM runs: its script is the one built in Node from the engine's run of the same config, "Download initial
// weights" gives the engine's initial state byte for byte, and the downloaded script, run with PyTorch
// (/usr/bin/python3, python3-torch) next to the downloaded weights, prints the engine trainer's first losses.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { Download, Locator, Page } from 'playwright-core';
import type { Engine, RunConfig } from '../../engine/bindings/attn';
import { parseShown } from '../../web/src/widgets/pytorch';
import { firstSteps, initialWeightsName, scriptSteps, trainingScript } from '../../web/src/widgets/pytorch-lab';
import { requireTorch, runPython } from '../web/python';

/** The file downloaded when `click` runs: the download and its bytes. */
export async function downloaded(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Uint8Array }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return { download, bytes: new Uint8Array(readFileSync((await download.path())!)) };
}

/** The script of the panel in `panel` (a <lab-pytorch>) once the worker has answered. */
export async function panelScript(panel: Locator): Promise<string> {
  const area = panel.locator('pytorch-panel textarea');
  await expect.poll(() => area.inputValue(), { timeout: 30000 }).toMatch(/^# Training/);
  return area.inputValue();
}

/** Opens the <lab-pytorch> `panel` and checks it for the engine run config `config` (see the top of this file):
 * steps 1 to 5 within 1e-5 of the engine's losses, relative. Returns the script. */
export async function checkLabPytorch(page: Page, panel: Locator, config: RunConfig, attn: Engine): Promise<string> {
  requireTorch();
  await panel.locator('[data-action=pytorch]').click();
  const script = await panelScript(panel);

  const run = attn.createRun(config);
  const engine = firstSteps(run, scriptSteps(run.config));
  const weights = initialWeightsName(run.config);
  expect(script).toBe(trainingScript({ config: run.config, batches: engine.batches, weights }));
  run.delete();

  const py = await downloaded(page, () => panel.locator('button.w-pytorch-download').click());
  expect(py.download.suggestedFilename()).toBe('attn-lab-train.py');
  expect(new TextDecoder().decode(py.bytes)).toBe(script);
  const w = await downloaded(page, () => panel.locator('button.w-pytorch-file', { hasText: 'Download initial weights' }).click());
  expect(w.download.suggestedFilename()).toBe(weights);
  expect(Buffer.from(w.bytes).equals(Buffer.from(engine.weights))).toBe(true);

  const dir = mkdtempSync(path.join(tmpdir(), 'attn-lab-pytorch-'));
  writeFileSync(path.join(dir, weights), w.bytes);
  const losses = parseShown(runPython(script, dir))['losses'];
  expect(losses).toHaveLength(engine.loss.length);
  losses.slice(0, 5).forEach((l, i) => expect(Math.abs(l - engine.loss[i]) / Math.max(1, engine.loss[i])).toBeLessThanOrEqual(1e-5));
  return script;
}
