// Seeded random numbers for the widgets that need made-up inputs: a word order to shuffle, random embeddings and
// random attention weights. Pure functions with no DOM, so the tests import them and feed the engine in Node
// exactly what the widget fed it in the browser. Only + - * and Math.imul are used (no Math.sin or Math.log,
// whose last bits may differ between JavaScript engines), so the numbers are the same everywhere.
import type { Tensor } from '../../../engine/bindings/attn';
import { wordId } from '../text/words';

/** mulberry32: a tiny 32-bit generator. Returns a function giving uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A permutation of 0..n-1 drawn from `seed` (Fisher–Yates). perm[r] is the original index of the item now at r.
 * Never the identity when n >= 2 (a "shuffle" that changes nothing would teach nothing).
 */
export function seededPermutation(n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  if (n >= 2 && perm.every((p, i) => p === i)) perm.push(perm.shift()!); // rotate by one
  return perm;
}

/** The inverse permutation: inv[perm[r]] = r (where each original item went). */
export function inversePermutation(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, r) => (inv[p] = r));
  return inv;
}

/** `count` numbers uniform in [-bound, bound). */
function uniform(rand: () => number, count: number, bound: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * rand() - 1) * bound;
  return out;
}

export interface MultiheadSetup {
  /** The token vectors X, batch-first: [1, L, d_model]. */
  x: Tensor;
  /** nn.MultiheadAttention's parameters by their state_dict names. */
  params: Record<'in_proj_weight' | 'in_proj_bias' | 'out_proj.weight' | 'out_proj.bias', Tensor>;
}

/**
 * Seeded inputs for nn.MultiheadAttention(d_model, heads): one random vector per distinct word (uniform with
 * variance 1; the same word always gets the same vector, whatever its position) and random weights drawn like
 * PyTorch's initialisation (xavier-uniform in_proj_weight, U(±1/√d) out_proj.weight, zero biases).
 * Only the embeddings depend on the words; only the weights depend on the seed's weight stream.
 */
export function multiheadSetup(words: string[], dModel: number, seed: number): MultiheadSetup {
  const L = words.length;
  const x = new Float32Array(L * dModel);
  words.forEach((w, i) => {
    const rand = mulberry32((wordId(w, 0x100000000) ^ Math.imul(seed, 0x9e3779b1)) >>> 0);
    x.set(uniform(rand, dModel, Math.sqrt(3)), i * dModel);
  });
  const rand = mulberry32(seed);
  const E = dModel;
  return {
    x: { data: x, shape: [1, L, E] },
    params: {
      in_proj_weight: { data: uniform(rand, 3 * E * E, Math.sqrt(6 / (E + 3 * E))), shape: [3 * E, E] },
      in_proj_bias: { data: new Float32Array(3 * E), shape: [3 * E] },
      'out_proj.weight': { data: uniform(rand, E * E, 1 / Math.sqrt(E)), shape: [E, E] },
      'out_proj.bias': { data: new Float32Array(E), shape: [E] },
    },
  };
}
