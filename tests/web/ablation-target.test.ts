// Which ablation the model shown has, and how it is asked of the worker (components/ablation-parts.ts), as the
// explorer and <attn-view display="ablation"> share them: a shipped model, a lab run (not an LSTM), a Hugging Face
// checkpoint with an output head; the worker calls made, a Hugging Face ranking in parts of one layer's heads.
import { describe, expect, it } from 'vitest';
import { ablationTargetOf, requestAblation, type AblationCaller, type AblationTarget } from '../../web/src/components/ablation-parts';
import type { AblationResult } from '../../web/src/engine/ablation';
import type { HfInfo } from '../../web/src/engine/protocol';
import { STATS_TEXTS } from '../../web/src/models/hf';

const hf = (family: HfInfo['family'], lmHead = true) => ({ key: 'http://site/models/x/', family, lmHead, maskToken: '<mask>' }) as HfInfo;

describe('ablationTargetOf', () => {
  it('the shipped models, a lab run and Hugging Face checkpoints have one; the untrained model, an LSTM and a BertModel say why not', () => {
    expect(ablationTargetOf({ model: 'tagger' })).toMatchObject({ kind: 'shipped', model: 'tagger', panel: 'tagger', tag: 'tagger' });
    expect(ablationTargetOf({ model: 'lab', run: 'r1', config: { arch: 'encoder-decoder' } }))
      .toMatchObject({ kind: 'lab', run: 'r1', panel: 'lab', tag: 'lab:r1', meanLabel: 'outputs its mean over the run’s held-out examples' });
    expect(ablationTargetOf({ model: 'lab', run: 'r1', config: { arch: 'lstm' } })).toEqual({ none: 'lstm' });
    expect(ablationTargetOf({ model: 'untrained' })).toEqual({ none: 'model' });
    expect(ablationTargetOf({ model: 'hf' })).toEqual({ none: 'model' }); // not loaded yet
    expect(ablationTargetOf({ model: 'hf', hf: hf('gpt2', false) })).toMatchObject({ kind: 'hf', panel: 'lm', tag: 'hf:http://site/models/x/',
      meanLabel: `outputs its mean over the ${STATS_TEXTS.length} built-in sentences` });
    expect(ablationTargetOf({ model: 'hf', hf: hf('marian', false) })).toMatchObject({ panel: 'dates', meanLabel: `outputs its mean over the ${STATS_TEXTS.length} built-in sentences and their translations` });
    expect(ablationTargetOf({ model: 'hf', hf: hf('bert') })).toMatchObject({ panel: 'mlm', maskToken: '<mask>' });
    expect(ablationTargetOf({ model: 'hf', hf: hf('bert', false) })).toEqual({ none: 'no-head' });
  });
});

describe('requestAblation', () => {
  const ask = { text: 'a b', removed: [{ group: 'self' as const, layer: 0, head: 1 }], mode: 'zero' as const, rank: true };
  /** A worker that records its calls and answers with a result of 2 layers × 3 heads (a part: those heads ranked). */
  function worker() {
    const calls: [string, Record<string, unknown>][] = [];
    const call = (async (name: string, args: Record<string, unknown>) => {
      calls.push([name, args]);
      const from = Number(args.rankFrom ?? 0);
      const count = Number(args.rankCount ?? 0);
      const ranking = Array.from({ length: count }, (_, k) => ({ head: { group: 'self', layer: Math.floor((from + k) / 3), head: (from + k) % 3 }, change: from + k }));
      return { tokens: ['a', 'b'], truncated: '', groups: [{ group: 'self', title: '', layers: 2, heads: 3 }], removed: [], change: 0,
        before: { kind: 'lm', next: [], top: 0 }, after: { kind: 'lm', next: [], top: 0 },
        ...(count ? { ranking, rankProgress: { done: from + count, total: 6 } } : {}) } as AblationResult;
    }) as unknown as AblationCaller;
    return { calls, call };
  }
  const target = (t: Partial<AblationTarget>) => ({ panel: 'lm', tag: '', meanLabel: '', maskToken: '', ...t }) as AblationTarget;

  it('a shipped model and a lab run: one call, with the model or the run', async () => {
    for (const [t, name, extra] of [[target({ kind: 'shipped', model: 'lm' }), 'ablation', { model: 'lm' }],
      [target({ kind: 'lab', run: 'r1' }), 'labAblation', { run: 'r1' }]] as const) {
      const w = worker();
      const shown: AblationResult[] = [];
      await requestAblation(w.call, t, ask, (r) => shown.push(r));
      expect(w.calls).toEqual([[name, { ...ask, ...extra }]]);
      expect(shown).toHaveLength(1);
    }
  });

  it('a Hugging Face checkpoint: the outputs, then the ranking one layer at a time, growing, largest first; a newer request stops it', async () => {
    const w = worker();
    const shown: AblationResult[] = [];
    const t = target({ kind: 'hf', hf: 'k' });
    await requestAblation(w.call, t, ask, (r) => shown.push(r));
    const { rank: _rank, ...args } = ask;
    expect(w.calls).toEqual([['hfAblation', { ...args, hf: 'k' }], ['hfAblation', { ...args, hf: 'k', rankFrom: 0, rankCount: 3 }],
      ['hfAblation', { ...args, hf: 'k', rankFrom: 3, rankCount: 3 }]]);
    expect(shown.map((r) => r.ranking?.map((x) => x.change))).toEqual([undefined, [2, 1, 0], [5, 4, 3, 2, 1, 0]]);
    expect(shown[2].rankProgress).toEqual({ done: 6, total: 6 });

    // current() false after the outputs: no ranking asked for, nothing more shown.
    const stopped = worker();
    let n = 0;
    await requestAblation(stopped.call, t, ask, () => n++, () => stopped.calls.length < 2);
    expect([stopped.calls.length, n]).toEqual([2, 1]);
  });
});
