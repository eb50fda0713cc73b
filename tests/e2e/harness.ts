// Shared set-up of the end-to-end tests: serve web/dist (as built by tools/build.sh) with tools/serve.mjs,
// drive Debian's Chromium with playwright-core, and record every console error and CSP violation.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshotDir = path.join(root, 'tests/e2e/screenshots');

export interface Session {
  browser: Browser;
  url: string;
  close(): Promise<void>;
}

export async function startSession(): Promise<Session> {
  const { serve } = await import(/* @vite-ignore */ path.join(root, 'tools/serve.mjs'));
  const { server, url } = await serve({ dir: path.join(root, 'web/dist'), port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  mkdirSync(screenshotDir, { recursive: true });
  return {
    browser,
    url,
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A fresh page that collects console errors, page errors and dialogs (none should happen). */
export async function openPage(session: Session, query = '', opts: { width?: number; height?: number; dark?: boolean } = {}) {
  const page = await session.browser.newPage({
    viewport: { width: opts.width ?? 1400, height: opts.height ?? 1000 },
    colorScheme: opts.dark ? 'dark' : 'light',
  });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(session.url + (query ? `?${query}` : ''));
  return { page, problems };
}

/** Waits until the heatmap shows `rows` rows and the engine is idle. */
export async function waitForHeatmap(page: Page, rows: number) {
  await page.locator(`attn-heatmap canvas.plot-canvas[data-rows="${rows}"]`).waitFor({ timeout: 30000 });
  await page.waitForFunction(() => {
    const ex = document.querySelector('attn-explorer') as any;
    return ex && !ex.store.state.busy;
  });
}

export async function chipTexts(page: Page): Promise<string[]> {
  return page.locator('token-chips .chip .chip-text').allTextContents();
}

/** Moves the mouse to the centre of heatmap cell (row, col) and returns the tooltip's exact value. */
export async function hoverCell(page: Page, row: number, col: number) {
  const canvas = page.locator('attn-heatmap canvas.plot-canvas');
  const box = (await canvas.boundingBox())!;
  const rows = Number(await canvas.getAttribute('data-rows'));
  const cols = Number(await canvas.getAttribute('data-cols'));
  await page.mouse.move(box.x + ((col + 0.5) * box.width) / cols, box.y + ((row + 0.5) * box.height) / rows);
  const tip = page.locator('attn-heatmap .tooltip');
  await tip.waitFor();
  await page.waitForFunction(
    ([r, c]) => {
      const t = document.querySelector('attn-explorer')?.shadowRoot?.querySelector('attn-heatmap')?.shadowRoot?.querySelector('.tooltip');
      return t && t.getAttribute('data-row') === String(r) && t.getAttribute('data-col') === String(c);
    },
    [row, col],
  );
  return {
    value: Number(await tip.getAttribute('data-value')),
    text: await tip.innerText(),
  };
}

/** A fingerprint of the heatmap's pixels, to tell whether the picture changed. */
export async function canvasFingerprint(page: Page): Promise<string> {
  return page.locator('attn-heatmap canvas.plot-canvas').evaluate((c: HTMLCanvasElement) => c.toDataURL());
}
