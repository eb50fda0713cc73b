// Which token of one text is which token of another (<attn-compare>), so that their attention can be subtracted.
//
// - By position, when both have the same number of tokens and only a few differ (at most a third, and at least
//   one may): token n of the one is token n of the other, the differing ones included ("tired → wide").
// - Otherwise by a longest common subsequence of the tokens: equal tokens are paired in order, as many as
//   possible; a token found in one text only stands alone (its row and column have nothing to subtract).

export interface AlignedPair {
  a?: number; // index in the first sequence, absent when the token is only in the second
  b?: number; // index in the second sequence, absent when the token is only in the first
}

export interface Alignment {
  method: 'position' | 'lcs';
  /** Both sequences merged in order: every token of each appears once. */
  pairs: AlignedPair[];
  /** Pairs with a token from each side; `changed` of them hold different tokens (by position only). */
  matched: number;
  changed: number;
}

export function alignTokens(a: readonly string[], b: readonly string[]): Alignment {
  if (a.length === b.length) {
    const changed = a.filter((t, n) => t !== b[n]).length;
    if (changed <= Math.max(1, Math.floor(a.length / 3))) return { method: 'position', pairs: a.map((_, n) => ({ a: n, b: n })), matched: a.length, changed };
  }
  // lcs[i][j]: the longest common subsequence of a[i:] and b[j:].
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const pairs: AlignedPair[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) pairs.push({ a: i++, b: j++ });
    else if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) pairs.push({ a: i++ }); // the first text's token first
    else pairs.push({ b: j++ });
  }
  return { method: 'lcs', pairs, matched: lcs[0]?.[0] ?? 0, changed: 0 };
}

/** The label of an aligned token: "it", "tired → wide", "−tired" (first text only), "+wide" (second only). */
export function pairLabel(p: AlignedPair, a: readonly string[], b: readonly string[]): string {
  if (p.a !== undefined && p.b !== undefined) return a[p.a] === b[p.b] ? a[p.a] : `${a[p.a]} → ${b[p.b]}`;
  return p.a !== undefined ? `−${a[p.a]}` : `+${b[p.b!]}`;
}
