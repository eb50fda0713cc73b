// The training lab's PyTorch button (lab.html, <lab-pytorch>) end to end in headless Chromium: for the form's
// configuration the panel's script equals the one built in Node from the engine's run of that config
// (web/src/widgets/pytorch-lab.ts), "Download initial weights" gives the engine's initial state bit for bit, and
// the downloaded script run with PyTorch on the downloaded weights prints the engine trainer's first losses. A run's
// own button (section 2) gives the same script for the same config. Needs python3-torch.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Download, Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { DEFAULT_CONFIG, runConfig, type LabConfig } from '../../web/src/lab/config';
import { parseShown } from '../../web/src/widgets/pytorch';
import { firstSteps, initialWeightsName, scriptSteps, trainingScript } from '../../web/src/widgets/pytorch-lab';
import { requireTorch, runPython } from '../web/python';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const QUERY = 'steps=300&max-len=6&optimizer=adam&warmup=10&clip=0.5';
const CONFIG: LabConfig = { ...DEFAULT_CONFIG, steps: 300, maxLen: 6, optimizer: 'adam', warmup: 10, clip: 0.5 };

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Uint8Array }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return { download, bytes: new Uint8Array(readFileSync((await download.path())!)) };
}

/** The script of the panel in `panel` (a <lab-pytorch>) once the worker has answered. */
async function panelScript(panel: ReturnType<Page['locator']>): Promise<string> {
  const area = panel.locator('pytorch-panel textarea');
  await expect.poll(() => area.inputValue(), { timeout: 30000 }).toMatch(/^# Training/);
  return area.inputValue();
}

describe("the lab's PyTorch training script", () => {
  it('is the script built in Node, with the initial weights bit for bit, and it trains as the engine does', async () => {
    requireTorch();
    const { page, problems } = await openPage(session, QUERY, { path: 'lab.html' });
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.validation?.ok === true, null, { timeout: 30000 });
    const form = page.locator('attn-lab lab-pytorch').first();
    await form.locator('[data-action=pytorch]').click();
    const script = await panelScript(form);

    const run = attn.createRun(runConfig(CONFIG));
    const engine = firstSteps(run, scriptSteps(run.config));
    const weights = initialWeightsName(run.config);
    expect(script).toBe(trainingScript({ config: run.config, batches: engine.batches, weights }));
    run.delete();

    const py = await downloaded(page, () => form.locator('button.w-pytorch-download').click());
    expect(py.download.suggestedFilename()).toBe('attn-lab-train.py');
    expect(new TextDecoder().decode(py.bytes)).toBe(script);
    const w = await downloaded(page, () => form.locator('button.w-pytorch-file', { hasText: 'Download initial weights' }).click());
    expect(w.download.suggestedFilename()).toBe(weights);
    expect(Buffer.from(w.bytes).equals(Buffer.from(engine.weights))).toBe(true);

    const dir = mkdtempSync(path.join(tmpdir(), 'attn-lab-pytorch-'));
    writeFileSync(path.join(dir, weights), w.bytes);
    const shown = parseShown(runPython(script, dir));
    const first = shown['losses'].slice(0, 5);
    first.forEach((l, i) => expect(Math.abs(l - engine.loss[i]) / Math.max(1, engine.loss[i])).toBeLessThanOrEqual(1e-5));

    await page.locator('attn-lab').screenshot({ path: path.join(screenshotDir, 'lab-pytorch.png') });

    // A run's own button: the same config, the same script.
    await page.locator('attn-lab [data-action=start]').click();
    const runPanel = page.locator('attn-lab section[aria-labelledby=train-h] lab-pytorch');
    await runPanel.locator('[data-action=pytorch]').click();
    expect(await panelScript(runPanel)).toBe(script);
    await runPanel.screenshot({ path: path.join(screenshotDir, 'lab-pytorch-run.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 180000);
});
