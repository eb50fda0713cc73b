// <attn-train-step> end to end: the numbers it shows (losses, gradient norm, clip factor, each tensor's gradient
// norm, the largest update) equal the engine's `trainStep` call run in Node on the same settings, exactly; Step
// carries the state over and lowers the loss; switching optimizers changes the state shown (exp_avg / exp_avg_sq
// or momentum_buffer); bad attributes get notices and refused settings the engine's message; it renders in the
// gallery under the strict CSP.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { runCall } from '../../web/src/engine/calls';
import { l2, optimizerDefaults, trainStepCall, type OptimizerOptions } from '../../web/src/widgets/train-step-setup';
import { openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';

let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-train-step';
const waitComputed = (page: Page) => waitForWidget(page, TAG);

/** What one column shows, as the exact strings of its data-value attributes. */
async function shown(page: Page, col: 'a' | 'b' = 'a') {
  return page.evaluate(
    ([tag, c]) => {
      const root = (document.querySelector(tag) as HTMLElement).shadowRoot!;
      const cell = (row: string) => root.querySelector(`.stats tr.${row} td[data-col="${c}"]`)?.getAttribute('data-value') ?? '';
      const weight = root.querySelector(`.weight-col[data-col="${c}"]`);
      return {
        lossBefore: cell('loss-before'),
        gradNorm: cell('grad-norm'),
        clipCoef: cell('clip-coef'),
        lossAfter: cell('loss-after'),
        maxUpdate: weight?.querySelector('.max-update')?.getAttribute('data-value') ?? '',
        states: Array.from(weight?.querySelectorAll('.mat') ?? [], (m) => m.getAttribute('data-key')),
        norms: c === 'a' ? Array.from(root.querySelectorAll('.norm-row'), (b) => [b.getAttribute('data-name'), b.getAttribute('data-value')]) : [],
      };
    },
    [TAG, col] as const,
  );
}

/** The same numbers from the engine in Node. */
function expected(o: OptimizerOptions, steps: number, param = 'head.weight') {
  const r = runCall(attn, 'trainStep', trainStepCall(o, steps, true));
  const p = r.step.params.find((x) => x.name === param)!;
  let maxUpdate = 0;
  for (let i = 0; i < p.value.length; i++) maxUpdate = Math.max(maxUpdate, Math.abs(p.value[i] - p.before[i]));
  const norms = r.step.params.map((x) => ({ name: x.name, norm: l2(x.grad) / r.step.clip_coef })).sort((x, y) => y.norm - x.norm);
  return {
    lossBefore: String(r.step.loss),
    gradNorm: String(r.step.grad_norm),
    clipCoef: String(r.step.clip_coef),
    lossAfter: String(r.after.loss),
    maxUpdate: String(maxUpdate),
    norms: norms.map((n) => [n.name, String(n.norm)]),
  };
}

const adam = optimizerDefaults('adam');
const sgd = optimizerDefaults('sgd');
const state = (page: Page, key: string) => page.evaluate(([t, k]) => document.querySelector(t)!.getAttribute(k), [TAG, key] as const);

describe('attn-train-step widget', () => {
  it('shows the engine’s numbers; Step carries the state over and lowers the loss; optimizers show their own state', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html' });
    await waitComputed(page);
    let got = await shown(page);
    const want1 = expected(adam, 1);
    expect(got).toMatchObject(want1);
    expect(got.states).toEqual(['before', 'grad', 'exp_avg', 'exp_avg_sq', 'update']);
    expect(Number(got.lossAfter)).toBeLessThan(Number(got.lossBefore));
    expect(Number(got.clipCoef)).toBeLessThan(1); // the default max_norm 1 clips the first step
    // The comparison (SGD, lr 0.1) from the same start: the same first loss and gradient, its own update, no state.
    const b = await shown(page, 'b');
    expect(b).toMatchObject({ ...expected(sgd, 1), norms: [] });
    expect(b.states).toEqual(['update']); // value and gradient are column a's at step 1
    await page.screenshot({ path: path.join(screenshotDir, 'widget-train-step.png'), fullPage: true });

    // Step: the state carries over (the replay of step 1 then step 2), and the loss keeps falling.
    await page.locator(`${TAG} button.step-btn`).click();
    await waitComputed(page);
    got = await shown(page);
    const want2 = expected(adam, 2);
    expect(got).toMatchObject(want2);
    expect(got.lossBefore).toBe(want1.lossAfter); // the same batch: step 2 starts where step 1 ended
    expect(Number(got.lossAfter)).toBeLessThan(Number(got.lossBefore));
    expect(await state(page, 'steps')).toBe('2');
    expect(await page.locator(`${TAG} .curves .series.col-a circle`).count()).toBe(3); // updates 0, 1, 2

    // Switching optimizers changes the state shown: SGD with momentum keeps a buffer, AdamW two moments.
    await page.locator(`${TAG} .opt-a button.opt-momentum`).click();
    await waitComputed(page);
    got = await shown(page);
    expect(got.states).toEqual(['before', 'grad', 'momentum_buffer', 'update']);
    expect(got).toMatchObject(expected({ ...sgd, momentum: 0.9 }, 2));
    expect(new URL(page.url()).searchParams.get('momentum')).toBe('0.9');
    await page.locator(`${TAG} .opt-a button.opt-sgd`).click();
    await waitComputed(page);
    expect((await shown(page)).states).toEqual(['before', 'grad', 'update']);
    await page.locator(`${TAG} .opt-a button.opt-adamw`).click();
    await waitComputed(page);
    got = await shown(page);
    expect(got.states).toEqual(['before', 'grad', 'exp_avg', 'exp_avg_sq', 'update']);
    expect(got).toMatchObject(expected({ ...optimizerDefaults('adamw') }, 2));

    // Another tensor from the gradient norm list; Reset goes back to step 1.
    await page.locator(`${TAG} button.norm-row[data-name="decoder.layers.0.linear1.weight"]`).click();
    await waitComputed(page);
    expect(await state(page, 'param')).toBe('decoder.layers.0.linear1.weight');
    expect((await shown(page)).maxUpdate).toBe(expected(optimizerDefaults('adamw'), 2, 'decoder.layers.0.linear1.weight').maxUpdate);
    await page.locator(`${TAG} button.reset-btn`).click();
    await waitComputed(page);
    expect(await state(page, 'steps')).toBe('1');

    // The URL the widget wrote restores it exactly.
    const again = await session.browser.newPage();
    await again.goto(page.url());
    await waitComputed(again);
    expect(await shown(again)).toEqual(await shown(page));
    await again.close();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('refused settings show the engine’s message and keep the last good state; bad attributes get notices', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}&optimizer=sgd&lr=0.05`, { path: 'embed.html', dark: true });
    await waitComputed(page);
    const good = await shown(page);
    // Nesterov without momentum: torch and the engine refuse it.
    await page.locator(`${TAG} .opt-a .nesterov input`).click(); // refused at once: the box unticks itself
    await expect.poll(() => page.locator(`${TAG} .refused`).count()).toBe(1);
    await waitComputed(page);
    expect(await page.locator(`${TAG} .refused`).innerText()).toMatch(/SGD: Nesterov momentum requires a momentum above 0 and zero dampening\. Showing the last settings that worked/);
    expect(await state(page, 'nesterov')).toBe('false');
    expect(await page.locator(`${TAG} .opt-a .nesterov input`).isChecked()).toBe(false);
    expect(await shown(page)).toEqual(good);
    // A negative learning rate in the comparison.
    const lr = page.locator(`${TAG} .opt-b .num-lr input`);
    await lr.fill('-1');
    await lr.dispatchEvent('change');
    await expect.poll(() => page.locator(`${TAG} .refused`).innerText()).toMatch(/Comparison \(SGD\): lr must be a positive number/);
    await waitComputed(page);
    expect(await state(page, 'compare')).toBe('sgd');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-train-step-refused-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();

    const bad = await openPage(session, `w=${TAG}&optimizer=rmsprop&lr=abc&steps=0&batches=x&compare=lion&param=nope`, { path: 'embed.html' });
    await waitComputed(bad.page);
    const notice = await bad.page.locator(`${TAG} .notice`).innerText();
    expect(notice).toMatch(/optimizer must be sgd, adam or adamw; using adam/);
    expect(notice).toMatch(/lr must be a number; using 0\.01/);
    expect(notice).toMatch(/steps must be a whole number from 1 to 200; showing step 1/);
    expect(notice).toMatch(/batches must be "same" or "new"/);
    expect(notice).toMatch(/compare must start with sgd, adam or adamw/);
    expect(notice).toMatch(/param "nope" is not a parameter of this model; showing head\.weight/);
    expect(await shown(bad.page)).toMatchObject(expected(adam, 1));
    expect(bad.problems).toEqual([]);
    await bad.page.close();

    // Refused from the start (nothing worked yet): the message, and the defaults of the optimizer asked for.
    const refused = await openPage(session, `w=${TAG}&optimizer=adam&beta1=1&steps=300`, { path: 'embed.html' });
    await waitComputed(refused.page);
    expect(await refused.page.locator(`${TAG} .refused`).innerText()).toMatch(/Adam: betas must be in \[0, 1\)\. Showing the defaults/);
    expect(await refused.page.locator(`${TAG} .notice`).innerText()).toMatch(/steps is at most 200 here/);
    expect(await state(refused.page, 'beta1')).toBe('0.9');
    expect(await shown(refused.page)).toMatchObject(expected(adam, 200));
    expect(refused.problems).toEqual([]);
    await refused.page.close();
  });

  it('renders in the gallery under the strict CSP', async () => {
    const { page, problems } = await openPage(session, '', { path: 'gallery.html', width: 1280 });
    await page.locator(TAG).scrollIntoViewIfNeeded();
    await waitComputed(page);
    expect(await shown(page)).toMatchObject(expected(adam, 1));
    await page.locator(TAG).screenshot({ path: path.join(screenshotDir, 'widget-train-step-gallery.png') });
    expect(problems).toEqual([]);
    await page.close();
  });
});
