// The shipped models (models/<name>/) run in Node on a text exactly as the page's worker runs them (worker.ts
// analyze), for end-to-end tests that compare what a widget shows with the engine API.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine, Tensor } from '../../engine/bindings/attn';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BOS = 1;
const EOS = 2;

/**
 * `trace`: the forward pass the page's heatmaps show (the language model reads <bos> first; the date translator's
 * is its greedy translation). `full`: the same pass with trace 'full' (q, k, scores and scaled scores too), which
 * the page runs for <attn-neuron> (the translator's as one forward pass over the decoder inputs its rows show).
 */
export function runShipped(attn: Engine, name: 'lm' | 'tagger' | 'dates', text: string): { trace: Record<string, Tensor>; full: Record<string, Tensor> } {
  const model = attn.loadModel(readFileSync(path.join(root, 'models', name, 'model.safetensors')));
  const tok = attn.loadTokenizer(readFileSync(path.join(root, 'models', name, 'tokenizer.json'), 'utf8'));
  try {
    const maxLen = Number(model.config.max_len);
    if (name === 'dates') {
      const src = tok.encode(text, { maxTokens: maxLen - 1 }).ids;
      const g = model.greedy(src, { bos: BOS, eos: EOS, max_len: 12, trace: 'weights' });
      const rows = g.tokens.length + (g.finished ? 1 : 0);
      return { trace: g.trace, full: model.forward(src, { tgt: [BOS, ...g.tokens].slice(0, rows), trace: 'full' }).trace };
    }
    const ids = name === 'lm' ? [BOS, ...tok.encode(text).ids] : Array.from(tok.encode(text, { maxTokens: maxLen }).ids);
    return { trace: model.forward(ids).trace, full: model.forward(ids, { trace: 'full' }).trace };
  } finally {
    model.delete();
    tok.delete();
  }
}

/** A shipped model, its tokenizer and its held-out texts, loaded in Node (close() frees them). */
export function loadShipped(attn: Engine, name: 'lm' | 'tagger' | 'dates') {
  const model = attn.loadModel(readFileSync(path.join(root, 'models', name, 'model.safetensors')));
  const tok = attn.loadTokenizer(readFileSync(path.join(root, 'models', name, 'tokenizer.json'), 'utf8'));
  const heldout: string[] = JSON.parse(readFileSync(path.join(root, 'models', name, 'heldout.json'), 'utf8'));
  return { model, tok, heldout, close: () => (model.delete(), tok.delete()) };
}

/** The softmax of row `row` of a [.., V] logits tensor. */
export function softmax(logits: Tensor, row: number) {
  const V = logits.shape[logits.shape.length - 1];
  const x = Array.from(logits.data.subarray(row * V, (row + 1) * V));
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** A [layers, H] head mask with the listed heads ("layer.head", 1-based) at 0. */
export function headMask(layers: number, H: number, off: string[]) {
  return Array.from({ length: layers }, (_, l) => Array.from({ length: H }, (_, h) => (off.includes(`${l + 1}.${h + 1}`) ? 0 : 1)));
}
