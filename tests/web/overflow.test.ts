// overflow.ts: the page's sentence for attention weights that are not numbers (a model whose numbers outgrew float32).
import { describe, expect, it } from 'vitest';
import { overflowWarning } from '../../web/src/engine/overflow';
import type { AttentionView } from '../../web/src/engine/protocol';

const view = (title: string, weights: Float32Array[]): AttentionView =>
  ({ name: 'self', title, rows: ['a', 'b'], cols: ['a', 'b'], layers: weights.length, heads: 1, weights, masks: weights.map(() => undefined) }) as AttentionView;

describe('overflowWarning', () => {
  it('is empty when every weight is a number, masked zeros included', () => {
    expect(overflowWarning([view('Causal self-attention', [Float32Array.of(1, 0, 0.5, 0.5), Float32Array.of(1, 0, 0, 1)])])).toBe('');
    expect(overflowWarning([])).toBe('');
  });

  it('names the first layer of each view that holds a NaN or an infinity', () => {
    const w = overflowWarning([
      view('Causal self-attention', [Float32Array.of(1, 0, 0.5, 0.5), Float32Array.of(NaN, 0, 0.5, 0.5), Float32Array.of(NaN, NaN, NaN, NaN)]),
      view('Cross-attention', [Float32Array.of(1, 0, 0, 1)]),
      view('Encoder self-attention', [Float32Array.of(Infinity, 0, 0, 1)]),
    ]);
    expect(w).toContain('Causal self-attention, from layer 2 on; Encoder self-attention, from layer 1 on.');
    expect(w).not.toContain('Cross-attention');
    expect(w).toContain('float32');
  });
});
