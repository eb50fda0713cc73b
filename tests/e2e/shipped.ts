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
