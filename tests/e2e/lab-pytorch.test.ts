// The training lab's PyTorch button (lab.html, <lab-pytorch>) end to end in headless Chromium: for the form's
// configuration the panel's script equals the one built in Node from the engine's run of that config
// (web/src/widgets/pytorch-lab.ts), "Download initial weights" gives the engine's initial state bit for bit, and
// the downloaded script run with PyTorch on the downloaded weights prints the engine trainer's first losses. A run's
// own button (section 2) gives the same script for the same config. Needs python3-torch.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Engine } from '../../engine/bindings/attn';
import { DEFAULT_CONFIG, runConfig, type LabConfig } from '../../web/src/lab/config';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';
import { checkLabPytorch, panelScript } from './lab-pytorch-panel';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const QUERY = 'steps=300&max-len=6&optimizer=adam&warmup=10&clip=0.5';
const CONFIG: LabConfig = { ...DEFAULT_CONFIG, steps: 300, maxLen: 6, optimizer: 'adam', warmup: 10, clip: 0.5 };

describe("the lab's PyTorch training script", () => {
  it('is the script built in Node, with the initial weights bit for bit, and it trains as the engine does', async () => {
    const { page, problems } = await openPage(session, QUERY, { path: 'lab.html' });
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.validation?.ok === true, null, { timeout: 30000 });
    const form = page.locator('attn-lab lab-pytorch').first();
    const script = await checkLabPytorch(page, form, runConfig(CONFIG), attn);

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
