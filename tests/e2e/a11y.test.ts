// The accessibility audit (#14 item 7): axe-core's WCAG 2.x A and AA rules and best practices (a11y.ts) find no
// violation in the explorer (every model, a Hugging Face checkpoint among them, in every display, and the head
// picker's Rollout), in the lab before and after a short run and in the explorer with that run (every display), and
// in the gallery with every widget started, as elements and as iframes; the explorer and the gallery in both colour
// schemes.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DISPLAYS } from '../../web/src/components/displays';
import { AxeAudit } from './a11y';
import { openPage, withBrowserAndEngine, type Session } from './harness';

let session: Session;
withBrowserAndEngine((s) => {
  session = s;
});

/** Resolves once the page has nothing left to do: two animation frames, then an idle period (the heatmaps'
 * screen-reader tables are written when the page is idle). */
const idle = (page: Page) =>
  page.evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => requestIdleCallback(() => done(), { timeout: 2000 })))));

/** Resolves once the explorer shows `display` for its current text, fully drawn. */
async function settle(page: Page, display: string) {
  const drawn = page.waitForFunction(
    (d) => {
      const ex = document.querySelector('attn-explorer') as any;
      const s = ex?.store?.state; // (undefined until the element is defined: a page that has just opened)
      const root: ShadowRoot | undefined = ex?.shadowRoot;
      if (!root || !s || s.busy || s.display !== d || s.analysis?.text !== ex.store.text || root.querySelector('.state.loading')) return false;
      // The head gallery comes after the first picture, and measures a Hugging Face model's heads over a while.
      if (!root.querySelector('head-gallery') || root.querySelector('.stats-progress')) return false;
      const ready: Record<string, () => unknown> = {
        heatmap: () => root.querySelector('attn-heatmap.main')?.shadowRoot?.querySelector('canvas.plot-canvas'),
        lines: () => root.querySelector('attn-lines.main'),
        model: () => root.querySelector('attn-model-view.main'),
        neuron: () => root.querySelector('.neuron-summary, .state.notice'),
        compare: () => root.querySelector('input.vs'),
        ablation: () => (root.querySelector('attn-ablation-panel') as any)?.result || root.querySelector('.state.notice'),
      };
      return !!ready[d]();
    },
    display,
    { timeout: 60000 },
  );
  await drawn.catch((e: Error) => {
    throw new Error(`the explorer's ${display} display was not drawn: ${e.message}`);
  });
  // Every Lit element inside, rendered.
  await page.evaluate(async () => {
    const all = (root: Document | ShadowRoot): Element[] =>
      [...root.querySelectorAll('*')].flatMap((el) => (el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]));
    for (const el of all(document)) await (el as any).updateComplete;
  });
  await idle(page);
}

/**
 * The explorer's model `query` opened (or the explorer `opened`: a lab run's), every display audited in place, then
 * the heatmap's Rollout (of the attention view `rolloutView`, when the first view has none: the translator's
 * cross-attention).
 */
async function auditExplorer(query: string, { dark = false, rolloutView = '', opened = undefined as { page: Page; problems: string[] } | undefined } = {}) {
  const { page, problems } = opened ?? (await openPage(session, query, { dark }));
  const audit = new AxeAudit();
  const scheme = dark ? 'dark' : 'light';
  await settle(page, 'heatmap');
  for (const { id } of DISPLAYS) {
    await page.locator(`attn-explorer button.display-tab[data-display="${id}"]`).click();
    await settle(page, id);
    await audit.check(page, `${query}, ${id} (${scheme})`);
  }
  await page.locator('attn-explorer button.display-tab[data-display="heatmap"]').click();
  if (rolloutView) await page.locator(`attn-explorer button.view[data-view="${rolloutView}"]`).click();
  const rollout = page.locator('attn-explorer button.layers-summary.rollout');
  await rollout.click();
  await expect.poll(() => rollout.getAttribute('aria-pressed')).toBe('true');
  await settle(page, 'heatmap');
  await audit.check(page, `${query}, heatmap rollout (${scheme})`);
  await page.close();
  audit.expectNone();
  expect(problems).toEqual([]);
}

describe('accessibility (axe-core): the explorer', () => {
  for (const query of ['m=lm', 'm=tagger', 'm=untrained', 'hf=/hf-fixtures/gpt2/'])
    it(`${query}: every display and Rollout, no violation`, { timeout: 120000 }, () => auditExplorer(query));
  it('m=dates: every display and its encoder’s Rollout, no violation', { timeout: 120000 }, () => auditExplorer('m=dates', { rolloutView: 'encoder' }));
  it('m=lm in the dark colour scheme: every display and Rollout, no violation', { timeout: 120000 }, () => auditExplorer('m=lm', { dark: true }));
});

describe('accessibility (axe-core): the lab', () => {
  it('before and after a short run, light and dark, and the run in the explorer (every display, Rollout): no violation', { timeout: 240000 }, async () => {
    const { page, problems } = await openPage(session, 'steps=100&max-len=5&eval-every=50&warmup=20', { path: 'lab.html', height: 1200 });
    const lab = page.locator('attn-lab');
    const audit = new AxeAudit();
    const check = async (what: string) => {
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await idle(page);
        await audit.check(page, `lab ${what} (${scheme})`);
      }
    };
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any)?.store.state.validation?.ok === true, null, { timeout: 30000 });
    await check('before a run');
    await lab.locator('[data-action=start]').click();
    await expect.poll(() => lab.locator('.status').first().innerText(), { timeout: 90000 }).toMatch(/Finished/);
    await check('after a run');
    audit.expectNone();
    // The run opened with its Explorer button (the same browser keeps it), every display.
    const [popup] = await Promise.all([page.waitForEvent('popup'), lab.locator('lab-runs tbody tr').first().locator('button', { hasText: 'Explorer' }).click()]);
    popup.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`explorer ${m.type()}: ${m.text()}`));
    popup.on('pageerror', (e) => problems.push(`explorer pageerror: ${e.message}`));
    await auditExplorer('m=lab', { rolloutView: 'encoder', opened: { page: popup, problems } });
    expect(problems).toEqual([]);
  });
});

describe('accessibility (axe-core): the gallery', () => {
  it('every widget started, as elements and as iframes, light and dark: no violation', { timeout: 420000 }, async () => {
    const { page, problems } = await openPage(session, '', { path: 'gallery.html', width: 1200, height: 900 });
    // Every widget of the page (a widget starts when scrolled near), each drawn for its state.
    const widgets = await page.evaluate(() => [...document.querySelectorAll('main *')].filter((e) => e.tagName.startsWith('ATTN-')).length);
    expect(widgets).toBeGreaterThanOrEqual(14);
    for (let i = 0; i < widgets; i++) {
      await page.evaluate((n) => [...document.querySelectorAll('main *')].filter((e) => e.tagName.startsWith('ATTN-'))[n].scrollIntoView(), i);
      await page.waitForFunction(
        (n) => {
          const el = [...document.querySelectorAll('main *')].filter((e) => e.tagName.startsWith('ATTN-'))[n] as any;
          return !el.busy && el.dataset.computed === JSON.stringify(el.stateAttributes());
        },
        i,
        { timeout: 60000 },
      );
    }
    const frames = page.locator('iframe.frame');
    const n = await frames.count();
    for (let i = 0; i < n; i++) {
      await frames.nth(i).scrollIntoViewIfNeeded();
      const tag = new URLSearchParams((await frames.nth(i).getAttribute('src'))!.split('?')[1]).get('w')!;
      const inner = page.frameLocator(`iframe.frame >> nth=${i}`).locator(tag);
      await expect.poll(() => inner.evaluate((el) => !!el.dataset.computed && !(el as any).busy), { timeout: 60000 }).toBe(true);
    }
    const audit = new AxeAudit();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await idle(page);
      await audit.check(page, `gallery (${scheme})`);
    }
    audit.expectNone();
    expect(problems).toEqual([]);
  });
});
