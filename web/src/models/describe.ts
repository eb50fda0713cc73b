// One line that says what a head does, drawn from its statistics (computed by the engine over held-out text):
// "mostly attends to the previous token: 81%", "broad: spreads over about 9 tokens".
export type { HeadStatJs as HeadStat } from '../../../engine/bindings/attn';
import type { HeadStatJs as HeadStat } from '../../../engine/bindings/attn';

export type AttentionKind = 'self' | 'cross';

export function describeHead(s: HeadStat, kind: AttentionKind): string {
  const pct = (x: number) => `${Math.round(100 * x)}%`;
  const candidates: [string, number][] =
    kind === 'self'
      ? [
          ['the previous token', s.previous],
          ['itself', s.self],
          ['the next token', s.next],
          ['the first token', s.first],
          ['punctuation', s.punct],
        ]
      : [
          ['the first source token', s.first],
          ['punctuation', s.punct],
        ];
  candidates.sort((a, b) => b[1] - a[1]);
  const [what, share] = candidates[0];
  if (share >= 0.5) return `mostly attends to ${what}: ${pct(share)}`;
  if (kind === 'cross' && s.max >= 0.6) return `sharp alignment: its top source position gets ${pct(s.max)}`;
  if (share >= 0.3) return `often attends to ${what}: ${pct(share)}`;
  const spread = Math.max(1, Math.round(2 ** s.entropy));
  if (s.max >= 0.6) return `focused: its top key gets ${pct(s.max)} on average`;
  return `broad: spreads over about ${spread} tokens`;
}
