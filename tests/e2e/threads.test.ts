// The engine's two builds in the page: cross-origin isolated (tools/serve.mjs's default), the page runs the build
// with threads when it wants more than one (one core fewer than the machine has, at most 4, or ?threads=N);
// served without isolation, the single-threaded one. The attention and predictions are the same bits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, startSession, type Session } from './harness';

let isolated: Session;
let plain: Session;
beforeAll(async () => {
  isolated = await startSession({ isolate: true });
  plain = await startSession({ isolate: false });
});
afterAll(async () => {
  await isolated?.close();
  await plain?.close();
});

/** The page at `query` once it shows the analysis of its text: engine info, attention weights, outputs. */
async function analysisOf(session: Session, query: string) {
  const { page, problems } = await openPage(session, query, { defaultThreads: true });
  await page.waitForFunction(() => {
    const s = (document.querySelector('attn-explorer') as any)?.store.state;
    return s?.analysis?.model === s.model && s.analysis.text === s.texts[s.model] && !s.busy && !s.analysis.pendingOutputs;
  }, null, { timeout: 60000 });
  const out = await page.evaluate(() => {
    const s = (document.querySelector('attn-explorer') as any).store.state;
    return {
      isolated: globalThis.crossOriginIsolated,
      cores: navigator.hardwareConcurrency,
      info: s.engine.info,
      weights: s.analysis.views.map((v: any) => v.weights.map((w: Float32Array) => Array.from(w))),
      outputs: s.analysis.outputs,
    };
  });
  await page.close();
  return { ...out, problems };
}

describe('the engine with threads', () => {
  for (const [name, query] of [['language model', 'threads=2'], ['GPT-2 checkpoint', 'hf=/hf-fixtures/gpt2/&threads=2'],
    ['Marian checkpoint', 'hf=/hf-fixtures/marian/&threads=2']]) {
    it(`${name}: threads when isolated, one thread otherwise, the same numbers`, async () => {
      const mt = await analysisOf(isolated, query);
      const st = await analysisOf(plain, query);
      expect(mt.isolated).toBe(true);
      expect(mt.info.threadsBuild).toBe(true);
      expect(mt.info.threads).toBe(2);
      expect(st.isolated).toBe(false);
      expect(st.info.threadsBuild).toBe(false);
      expect(st.info.threads).toBe(1);
      expect(mt.weights.flat(2).length).toBeGreaterThan(0);
      expect(mt.weights).toEqual(st.weights); // bit for bit
      expect(mt.outputs).toEqual(st.outputs);
      expect(mt.problems).toEqual([]);
      expect(st.problems).toEqual([]);
    });
  }

  it('by default, one core fewer than the machine has (at most 4): the page keeps a core for its frames', async () => {
    const page = await analysisOf(isolated, '');
    const want = Math.max(1, Math.min(4, page.cores - 1));
    expect(page.info.threads).toBe(want);
    expect(page.info.threadsBuild).toBe(want > 1);
    expect(page.problems).toEqual([]);
  });
});
