// <attn-compare>'s alignment of two token sequences: by position when they differ in a few tokens, otherwise by a
// longest common subsequence.
import { describe, expect, it } from 'vitest';
import { alignTokens, pairLabel } from '../../web/src/text/align';

const words = (s: string) => s.split(' ');
const labels = (a: string[], b: string[]) => alignTokens(a, b).pairs.map((p) => pairLabel(p, a, b));

describe('alignTokens', () => {
  it('pairs equal-length sequences by position when a few tokens differ', () => {
    const a = words('the animal was too tired');
    const b = words('the animal was too wide');
    const al = alignTokens(a, b);
    expect(al.method).toBe('position');
    expect(al.matched).toBe(5);
    expect(al.changed).toBe(1);
    expect(labels(a, b)).toEqual(['the', 'animal', 'was', 'too', 'tired → wide']);
  });

  it('uses a longest common subsequence for an inserted word', () => {
    const a = words('the cat sat on the mat');
    const b = words('the black cat sat on the mat');
    const al = alignTokens(a, b);
    expect(al.method).toBe('lcs');
    expect(al.matched).toBe(6);
    expect(al.pairs).toHaveLength(7);
    expect(labels(a, b)).toEqual(['the', '+black', 'cat', 'sat', 'on', 'the', 'mat']);
  });

  it('uses a longest common subsequence when equal lengths differ too much, and lists every token once', () => {
    const a = words('a b c d e f');
    const b = words('b c d e f a');
    const al = alignTokens(a, b);
    expect(al.method).toBe('lcs');
    expect(al.matched).toBe(5);
    expect(labels(a, b)).toEqual(['−a', 'b', 'c', 'd', 'e', 'f', '+a']);
    expect(al.pairs.filter((p) => p.a !== undefined).map((p) => p.a)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(al.pairs.filter((p) => p.b !== undefined).map((p) => p.b)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('replaces a token by a deletion and an insertion when the lengths differ', () => {
    const a = ['The', ' too', ' t', 'ired'];
    const b = ['The', ' too', ' wide'];
    expect(labels(a, b)).toEqual(['The', ' too', '− t', '−ired', '+ wide']);
  });

  it('handles empty sequences', () => {
    expect(alignTokens([], []).pairs).toEqual([]);
    expect(labels([], ['x'])).toEqual(['+x']);
    expect(labels(['x'], [])).toEqual(['−x']);
  });
});
