// Attention rollout and attention flow (Abnar & Zuidema, 2020; engine/models/rollout.h, docs/rollout.md) as the
// page shows them: two choices next to the heads, "Rollout" and "Flow", for a self-attention view. The engine
// computes them in the worker from the view's weights when they are chosen, and the heatmap draws them like a head.
import type { EngineClient } from './client';
import type { AttentionView } from './protocol';

export type Summary = 'rollout' | 'flow';
export const SUMMARIES: readonly Summary[] = ['rollout', 'flow'];

export function isSummary(x: unknown): x is Summary {
  return x === 'rollout' || x === 'flow';
}

/** Rollout and flow follow one sequence through its layers: self-attention only (not cross-attention). */
export function hasSummaries(v: AttentionView): boolean {
  return v.name !== 'cross' && v.rows.length === v.cols.length;
}

export const SUMMARY_LABEL: Record<Summary, string> = { rollout: 'Rollout', flow: 'Flow' };

export const SUMMARY_TITLE: Record<Summary, string> = {
  rollout: 'Attention rollout: how much of each input token reaches each position after this layer (Abnar & Zuidema, 2020)',
  flow: 'Attention flow: the maximum flow from each input token to each position after this layer (Abnar & Zuidema, 2020)',
};

/** One line under the heatmap: what the numbers mean. */
export function summaryExplanation(kind: Summary, layer: number): string {
  const after = layer === 0 ? 'layer 1' : `layers 1 to ${layer + 1}`;
  return kind === 'rollout'
    ? `Rollout: row i is how much each input token (column) contributes to position i after ${after}: the layers’ ` +
        'attention, heads averaged, multiplied together with the residual connection counted (0.5·A + 0.5·I). Each row sums to 1.'
    : `Flow: row i is the maximum flow from each input token (column) to position i through ${after}, with the same ` +
        '0.5·A + 0.5·I as capacities, each row scaled to sum to 1: the most that can get through, path by path.';
}

/** What the heatmap shows for rollout or flow: the engine's [T, T] matrix, or why there is none. */
export type SummaryResult = { matrix: Float32Array } | { notice: string };

/**
 * Rollout and flow of one view at a time, computed in the worker on request and kept: rollout once for every layer,
 * flow once per layer. `get` answers at once, the same object each time (undefined while the engine computes, and
 * `onResult` is called when the answer arrives, so the caller draws again); `load` waits for it.
 */
export class SummaryCache {
  private view?: AttentionView;
  /** By "rollout:<layer>" or "flow:<layer>". */
  private results = new Map<string, SummaryResult>();
  private pending = new Map<string, Promise<void>>();
  /** The last matrix `get` gave, with its view: drawn while a new text's is computed (no flash of an empty panel). */
  private last?: { view: AttentionView; kind: Summary; layer: number; matrix: Float32Array };

  constructor(
    private readonly client: () => EngineClient | undefined,
    private readonly onResult: () => void,
    /** The engine call's key: a newer request of the same caller replaces a waiting one. */
    private readonly callKey: string,
  ) {}

  get(v: AttentionView, kind: Summary, layer: number): SummaryResult | undefined {
    const have = this.results.get(this.key(v, kind, layer));
    if (!have) void this.load(v, kind, layer).then((r) => r && this.onResult());
    if (have && 'matrix' in have) this.last = { view: v, kind, layer, matrix: have.matrix };
    return have;
  }

  /** The last matrix of this kind and layer that `get` gave (for another view, such as the text before an edit). */
  previous(kind: Summary, layer: number) {
    return this.last?.kind === kind && this.last.layer === layer ? this.last : undefined;
  }

  /** The answer, once the engine has given it; undefined when a newer request replaced this one. */
  async load(v: AttentionView, kind: Summary, layer: number): Promise<SummaryResult | undefined> {
    const key = this.key(v, kind, layer);
    if (!this.results.has(key)) await (this.pending.get(key) ?? this.fetch(v, kind, layer));
    return this.view === v ? this.results.get(key) : undefined;
  }

  /** The key of a result of view v (a new view forgets the last one's results). */
  private key(v: AttentionView, kind: Summary, layer: number) {
    if (v !== this.view) {
      this.view = v;
      this.results.clear();
      this.pending.clear();
    }
    return `${kind}:${layer}`;
  }

  private fetch(v: AttentionView, kind: Summary, layer: number): Promise<void> {
    // Rollout is computed for every layer at once; flow after layer l needs only layers 0..l.
    const layers = kind === 'rollout' ? Array.from({ length: v.layers }, (_, l) => l) : [layer];
    const keys = layers.map((l) => `${kind}:${l}`);
    const T = v.rows.length;
    const attentions = v.weights.slice(0, kind === 'flow' ? layer + 1 : v.layers).map((data) => ({ data, shape: [v.heads, T, T] }));
    const run = async () => {
      const client = this.client();
      if (!client) return;
      let found: SummaryResult[];
      try {
        const t = kind === 'rollout'
          ? await client.call('attentionRollout', { attentions }, `${this.callKey}:summary`)
          : await client.call('attentionFlow', { attentions }, `${this.callKey}:summary`);
        found = layers.map((_, i) => ({ matrix: t.data.subarray(i * T * T, (i + 1) * T * T) }));
      } catch (e) {
        if ((e as Error).name === 'Superseded') return; // asked again when drawn again
        found = layers.map(() => ({ notice: (e as Error).message }));
      }
      if (this.view === v) keys.forEach((k, i) => this.results.set(k, found[i]));
    };
    const promise = run().finally(() => {
      if (this.view === v) for (const k of keys) if (this.pending.get(k) === promise) this.pending.delete(k);
    });
    for (const k of keys) this.pending.set(k, promise);
    return promise;
  }
}
