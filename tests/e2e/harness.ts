// Shared set-up of the end-to-end tests: serve web/dist (as built by tools/build.sh) with tools/serve.mjs,
// drive Debian's Chromium with playwright-core, and record every console error and CSP violation.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Engine } from '../../engine/bindings/attn';
import { loadBuiltEngine } from '../web/golden';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshotDir = path.join(root, 'tests/e2e/screenshots');

export interface Session {
  browser: Browser;
  url: string;
  /** Served cross-origin isolated (the page may run the engine's build with threads). */
  isolated: boolean;
  close(): Promise<void>;
}

/**
 * A server and a browser. The site is served cross-origin isolated (the page runs the engine's build with threads)
 * unless `isolate` is false or ATTN_E2E_ISOLATION=0 (tools/test.sh runs the suite both ways).
 */
export async function startSession({ isolate = process.env.ATTN_E2E_ISOLATION !== '0' } = {}): Promise<Session> {
  const { serve } = await import(/* @vite-ignore */ path.join(root, 'tools/serve.mjs'));
  // ATTN_DIST: another build of the site (e.g. `vite build --outDir /tmp/dist-x`), to test side by side.
  // The Hugging Face model folders of the tests (tests/fixtures/hf/make_models.sh) are served next to the site, at
  // /hf-fixtures/, without being part of it (web/dist never holds them).
  const { server, url } = await serve({
    dir: process.env.ATTN_DIST ?? path.join(root, 'web/dist'),
    port: 0,
    mounts: { '/hf-fixtures/': path.join(root, 'tests/fixtures/hf/models') },
    isolate,
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  mkdirSync(screenshotDir, { recursive: true });
  return {
    browser,
    url,
    isolated: isolate,
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * The set-up every end-to-end file shares: one browser and server for the file, and the engine's JavaScript API
 * in Node (build/wasm) to compute what the page should show. `use` receives both before the tests run.
 */
export function withBrowserAndEngine(use: (session: Session, attn: Engine) => void) {
  let session: Session | undefined;
  beforeAll(async () => {
    session = await startSession();
    use(session, await loadBuiltEngine());
  });
  afterAll(async () => {
    await session?.close();
  });
}

/** A fresh page that collects console errors, page errors and dialogs (none should happen). `ownContext`: in a browser
 * context of its own, which can open more pages (context.newPage) that share its storage (a lab run kept there). */
export async function openPage(
  session: Session,
  query = '',
  opts: { width?: number; height?: number; dark?: boolean; path?: string; init?: string; defaultThreads?: boolean; ownContext?: boolean } = {},
) {
  const options = { viewport: { width: opts.width ?? 1400, height: opts.height ?? 1000 }, colorScheme: opts.dark ? 'dark' as const : 'light' as const };
  const page = opts.ownContext ? await (await session.browser.newContext(options)).newPage() : await session.browser.newPage(options);
  page.setDefaultTimeout(20000); // a stuck action or wait fails with its own message, before the test's timeout
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  // Every CSP violation, in the page and its frames, as a problem of its own (Chromium also logs most of them).
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) =>
    console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'} (${e.sourceFile}:${e.lineNumber})`)));
  if (opts.init) await page.addInitScript(opts.init); // runs before the page's own scripts, in every frame
  // ATTN_E2E_THREADS=N: every page opened here asks for N engine threads (?threads=N), so that on a machine whose
  // default is one thread the suite still runs the build with threads (tools/test.sh).
  const threads = session.isolated && process.env.ATTN_E2E_THREADS && !opts.defaultThreads ? `threads=${process.env.ATTN_E2E_THREADS}` : '';
  const q = [query, threads].filter(Boolean).join('&');
  await page.goto(session.url + (opts.path ?? '') + (q ? `?${q}` : ''));
  return { page, problems };
}

/** Waits until the heatmap shows `rows` rows and the engine is idle. */
export async function waitForHeatmap(page: Page, rows: number) {
  await page.locator(`attn-heatmap.main canvas.plot-canvas[data-rows="${rows}"]`).waitFor({ timeout: 30000 });
  await page.waitForFunction(() => {
    const ex = document.querySelector('attn-explorer') as any;
    return ex && !ex.store.state.busy && ex.store.state.analysis?.text === ex.store.text;
  });
}

/** The explorer's store state (for checks the DOM does not show directly). */
export async function storeState(page: Page): Promise<any> {
  return page.evaluate(() => {
    const s = (document.querySelector('attn-explorer') as any).store.state;
    return { model: s.model, layer: s.layer, head: s.head, view: s.view, text: s.texts[s.model], analysis: s.analysis && {
      text: s.analysis.text, outputs: s.analysis.outputs, tokens: s.analysis.tokens, views: s.analysis.views.map((v: any) => ({
        name: v.name, rows: v.rows, cols: v.cols, layers: v.layers, heads: v.heads })) } };
  });
}

export async function chipTexts(page: Page): Promise<string[]> {
  return page.locator('token-chips .chip .chip-text').allTextContents();
}

/** Moves the mouse to the centre of heatmap cell (row, col) and returns the tooltip's exact value. */
export async function hoverCell(page: Page, row: number, col: number) {
  const canvas = page.locator('attn-heatmap.main canvas.plot-canvas');
  const rows = Number(await canvas.getAttribute('data-rows'));
  const cols = Number(await canvas.getAttribute('data-cols'));
  // The cell's centre in the viewport; scrolled into view first when the page is taller than the window.
  const centre = async () => {
    const box = (await canvas.boundingBox())!;
    return { x: box.x + ((col + 0.5) * box.width) / cols, y: box.y + ((row + 0.5) * box.height) / rows };
  };
  let at = await centre();
  const viewport = page.viewportSize()!;
  if (at.y < 0 || at.y > viewport.height || at.x < 0 || at.x > viewport.width) {
    await page.evaluate(([dx, dy]) => window.scrollBy(dx, dy), [at.x - viewport.width / 2, at.y - viewport.height / 2]);
    at = await centre();
  }
  await page.mouse.move(at.x, at.y);
  const tip = page.locator('attn-heatmap.main .tooltip');
  await tip.waitFor();
  await page.waitForFunction(
    ([r, c]) => {
      const t = document.querySelector('attn-explorer')?.shadowRoot?.querySelector('attn-heatmap.main')?.shadowRoot?.querySelector('.tooltip');
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
  return page.locator('attn-heatmap.main canvas.plot-canvas').evaluate((c: HTMLCanvasElement) => c.toDataURL());
}

/**
 * Waits until a widget shows its current state: the engine is idle for it, the state it computed
 * (`data-computed`, set by WidgetBase) equals its attributes, and its heatmaps have drawn.
 */
export async function waitForWidget(page: Page, tag: string, timeout = 30000) {
  await page.waitForFunction(
    (t) => {
      const el = document.querySelector(t) as any;
      return el && !el.busy && el.dataset.computed === JSON.stringify(el.stateAttributes());
    },
    tag,
    { timeout },
  );
  await page.evaluate(async (t) => {
    const el = document.querySelector(t) as any;
    await el.updateComplete;
    for (const h of el.shadowRoot.querySelectorAll('attn-heatmap')) await h.updateComplete;
  }, tag);
}

/** A fresh page on the site holding only `body` (a widget's Embed snippet), served under the strict CSP; it
 * collects console errors. `context`: opened in that browser context (its storage: a lab run), not a new one. */
export async function openSnippetPage(session: Session, body: string, context?: BrowserContext) {
  const page = await (context ?? session.browser).newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.route(`${session.url}snippet.html`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      headers: { 'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'" },
      body: `<!doctype html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`,
    }),
  );
  await page.goto(`${session.url}snippet.html`);
  return { page, errors };
}

/**
 * The widget `tag` through its Embed menu: its element snippet in a fresh page (under the strict CSP) and its iframe
 * URL both show what `read` reads on `page` now, with no console error. Returns the snippet, to check its attributes.
 * `sameBrowser`: the fresh page opens in `page`'s browser context (a lab run is kept in that browser's storage).
 */
export async function expectEmbedsReproduce(session: Session, page: Page, tag: string, read: (p: Page) => Promise<unknown>,
  { sameBrowser = false } = {}): Promise<string> {
  const want = await read(page);
  await page.locator(`${tag} button.w-embed-btn`).click();
  const snippet = await page.locator(`${tag} textarea[data-snippet="element"]`).inputValue();
  const iframeUrl: string = await page.evaluate((t) => (document.querySelector(t) as any).iframeUrl(), tag);
  const { page: fresh, errors } = await openSnippetPage(session, snippet, sameBrowser ? page.context() : undefined);
  try {
    await waitForWidget(fresh, tag);
    expect(await read(fresh)).toEqual(want);
    await fresh.goto(iframeUrl);
    await waitForWidget(fresh, tag);
    expect(await read(fresh)).toEqual(want);
    expect(errors).toEqual([]);
  } finally {
    await fresh.close();
  }
  return snippet;
}
