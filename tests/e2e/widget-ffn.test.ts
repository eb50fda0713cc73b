// <attn-ffn> end to end (embed.html?w=attn-ffn): the activation read-out and the hidden units of the chosen token
// equal the engine API run in Node on the same inputs (seeded-layers.ts), bit for bit; ReLU zeroes exactly the
// negative units and GELU keeps them slightly negative; W₂ (linear2) takes each hidden vector back to d_model, equal
// to the engine's ff.output and to W₂ h + b₂ recomputed from the parameters; the URL the widget writes restores it.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { readFileSync } from 'node:fs';
import { CURVE_X, NORM, encoderCall, encoderParams } from '../../web/src/widgets/seeded-layers';
import { ffnScript } from '../../web/src/widgets/pytorch-scripts';
import { waitForWidget, withBrowserAndEngine, openPage, screenshotDir, type Session } from './harness';

let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-ffn';
const F = NORM.F;

const waitComputed = (page: Page) => waitForWidget(page, TAG);

/** What the widget shows, as the exact strings in its data-value attributes: the curve read-out at the chosen
 * x, and the chosen token's hidden units before (ff.pre) and after each activation. */
async function shown(page: Page) {
  return page.evaluate((tag) => {
    const root = (document.querySelector(tag) as HTMLElement).shadowRoot!;
    const value = (el: Element | null) => el?.getAttribute('data-value') ?? '';
    const row = (act: string) => [value(root.querySelector(`tr[data-act="${act}"] td.out`)), value(root.querySelector(`tr[data-act="${act}"] td.der`))];
    const bars = (key: string) => Array.from(root.querySelectorAll(`g.bars[data-row="${key}"] rect.bar`), value);
    return {
      x: value(root.querySelector('.x-value')),
      relu: row('relu'),
      gelu: row('gelu'),
      pre: bars('pre'),
      reluHidden: bars('relu'),
      geluHidden: bars('gelu'),
      reluOut: bars('out-relu'),
      geluOut: bars('out-gelu'),
    };
  }, TAG);
}

/** The chosen token's ff.pre and ff.hidden with each activation, from the engine API in Node. */
function expectedUnits(token: number) {
  const relu = attn.transformerEncoderLayer(encoderCall(false, 'relu')).trace;
  const gelu = attn.transformerEncoderLayer(encoderCall(false, 'gelu')).trace;
  const slice = (t: { data: Float32Array }) => Array.from(t.data.slice(token * F, (token + 1) * F), String);
  expect(slice(relu['ff.pre'])).toEqual(slice(gelu['ff.pre'])); // the activation comes after linear1
  const d = NORM.d;
  const out = (t: { data: Float32Array }) => Array.from(t.data.slice(token * d, (token + 1) * d), String);
  return {
    pre: slice(gelu['ff.pre']),
    reluHidden: slice(relu['ff.hidden']),
    geluHidden: slice(gelu['ff.hidden']),
    reluOut: out(relu['ff.output']),
    geluOut: out(gelu['ff.output']),
  };
}

/** W₂ h + b₂ in float64 from the layer's parameters: what the widget shows as linear2's output must be that. */
function linear2(hidden: string[]) {
  const p = encoderParams(NORM.seed, NORM.d, F);
  const w = p['linear2.weight'].data;
  const b = p['linear2.bias'].data;
  return Array.from({ length: NORM.d }, (_, i) => hidden.reduce((s, h, j) => s + Number(h) * w[i * F + j], b[i]));
}

function expectedCurves(k: number) {
  const input = { data: CURVE_X, shape: [CURVE_X.length] };
  const relu = attn.activation('relu', input);
  const gelu = attn.activation('gelu', input);
  return {
    x: String(CURVE_X[k]),
    relu: [String(relu.output.data[k]), String(relu.derivative.data[k])],
    gelu: [String(gelu.output.data[k]), String(gelu.derivative.data[k])],
  };
}

describe('attn-ffn widget', () => {
  it('the curve read-out and the hidden units equal the engine; ReLU zeroes what GELU keeps slightly negative', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html' });
    await waitComputed(page);
    let got = await shown(page);
    expect({ x: got.x, relu: got.relu, gelu: got.gelu }).toEqual(expectedCurves(100)); // x = 1
    const want = expectedUnits(1);
    expect({ pre: got.pre, reluHidden: got.reluHidden, geluHidden: got.geluHidden, reluOut: got.reluOut, geluOut: got.geluOut }).toEqual(want);
    expect(got.reluOut).toHaveLength(NORM.d);
    for (const act of ['relu', 'gelu'] as const) {
      const shownOut = act === 'relu' ? got.reluOut : got.geluOut;
      const hidden = act === 'relu' ? got.reluHidden : got.geluHidden;
      linear2(hidden).forEach((v, i) => expect(Math.abs(Number(shownOut[i]) - v)).toBeLessThan(1e-5));
    }
    const diff = Math.max(...got.reluOut.map((v, i) => Math.abs(Number(v) - Number(got.geluOut[i]))));
    expect(Number(await page.locator(`${TAG} .out-diff`).getAttribute('data-value'))).toBeCloseTo(diff, 6);
    const negative = want.pre.map(Number).map((v, j) => (v < 0 ? j : -1)).filter((j) => j >= 0);
    expect(negative.length).toBeGreaterThan(0);
    for (const j of negative) {
      expect(got.reluHidden[j]).toBe('0');
      expect(Number(got.geluHidden[j])).toBeLessThan(0);
      expect(Number(got.geluHidden[j])).toBeGreaterThan(-0.2);
    }
    expect(await page.locator(`${TAG} .relu-zeroed`).getAttribute('data-value')).toBe(String(negative.length));
    expect(await page.locator(`${TAG} .position-wise`).innerText()).toMatch(/same two linear layers/);

    // The keyboard moves the read-out along the curve: 40 steps left of x = 1 is x = -1.
    await page.locator(`${TAG} svg.curve-svg.output`).focus();
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowLeft');
    got = await shown(page);
    expect({ x: got.x, relu: got.relu, gelu: got.gelu }).toEqual(expectedCurves(60));
    expect(got.relu[0]).toBe('0');
    expect(Number(got.gelu[0])).toBeLessThan(0);

    // Hovering reads the curve too: the middle of the plot area is x = 0.
    const svg = page.locator(`${TAG} svg.curve-svg.derivative`);
    const box = (await svg.boundingBox())!;
    const scale = box.width / 300;
    await page.mouse.move(box.x + (34 + (300 - 34 - 8) / 2) * scale, box.y + box.height / 2);
    got = await shown(page);
    expect({ x: got.x, relu: got.relu, gelu: got.gelu }).toEqual(expectedCurves(80));
    await page.screenshot({ path: path.join(screenshotDir, 'widget-ffn.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('picking a token and an activation goes into the URL, which restores them exactly; bad values are flagged', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html', dark: true });
    await waitComputed(page);
    await page.locator(`${TAG} button.chip[data-index="3"]`).click();
    await page.locator(`${TAG} button.act-relu`).click();
    await waitComputed(page);
    const got = await shown(page);
    expect({ pre: got.pre, reluHidden: got.reluHidden, geluHidden: got.geluHidden, reluOut: got.reluOut, geluOut: got.geluOut }).toEqual(expectedUnits(3));
    const url = new URL(page.url());
    expect(url.searchParams.get('token')).toBe('3');
    expect(url.searchParams.get('activation')).toBe('relu');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-ffn-dark.png'), fullPage: true });

    const again = await session.browser.newPage();
    await again.goto(url.href);
    await waitComputed(again);
    expect(await shown(again)).toEqual(got);
    expect(await again.locator(`${TAG} button.act-relu`).getAttribute('aria-pressed')).toBe('true');
    await again.close();
    expect(problems).toEqual([]);
    await page.close();

    const bad = await openPage(session, `w=${TAG}&token=99&activation=tanh`, { path: 'embed.html' });
    await waitComputed(bad.page);
    expect(await bad.page.locator(`${TAG} .notice`).innerText()).toMatch(/activation must be.*token must be/s);
    const badGot = await shown(bad.page);
    expect(badGot.pre).toEqual(expectedUnits(NORM.words.length - 1).pre);
    expect(bad.problems).toEqual([]);
    await bad.page.close();
  });

  it('the PyTorch button opens the script of the current state (= pytorchScript()); Copy and Download (.py) give it; no CSP violation', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}&token=4&activation=relu`, { path: 'embed.html' });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(session.url).origin });
    await waitComputed(page);
    const button = page.locator(`${TAG} button.w-pytorch-btn`);
    expect(await button.innerText()).toBe('PyTorch');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    await button.focus();
    await page.keyboard.press('Enter'); // keyboard accessible
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    const area = page.locator(`${TAG} textarea[data-snippet="pytorch"]`);
    await area.waitFor();
    const text = await area.inputValue();
    const fromElement = await page.evaluate((tag) => (document.querySelector(tag) as HTMLElement & { pytorchScript(): string }).pytorchScript(), TAG);
    expect(text).toBe(fromElement);
    // Exactly the script the unit test runs with PyTorch (tests/web/pytorch.test.ts), for token 4.
    expect(text).toBe(ffnScript(CURVE_X, encoderCall(false, 'relu'), NORM.words, 4));
    expect(text).toMatch(/^# Feed-forward network and activations/);
    expect(text).toContain('nn.TransformerEncoderLayer(');
    // The panel scrolls (a long script does not stretch the page) and is monospace.
    const style = await area.evaluate((el) => ({ overflow: getComputedStyle(el).overflowY, font: getComputedStyle(el).fontFamily, h: el.clientHeight, sh: el.scrollHeight }));
    expect(style.overflow).toBe('auto');
    expect(style.font).toMatch(/monospace/);
    expect(style.sh).toBeGreaterThan(style.h);

    await page.locator(`${TAG} button.w-pytorch-copy`).click();
    await expect.poll(() => page.locator(`${TAG} button.w-pytorch-copy`).innerText()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`${TAG} button.w-pytorch-download`).click()]);
    expect(download.suggestedFilename()).toBe('attn-ffn.py');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(text);

    // Another token: the open panel follows the state.
    await page.locator(`${TAG} button.chip[data-index="2"]`).click();
    await waitComputed(page);
    await expect.poll(() => area.inputValue()).toBe(ffnScript(CURVE_X, encoderCall(false, 'relu'), NORM.words, 2));
    expect(problems).toEqual([]); // no console error: no CSP violation
    await page.close();
  });
});
