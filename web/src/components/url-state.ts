// The explorer's state in a URL query string, so a view can be shared or embedded exactly:
// ?text=...&d=64&h=4&n=2&ff=256&seed=1&pe=1&causal=0&scale=1&layer=0&head=mean&cmap=viridis&range=max
// Invalid values fall back to the defaults rather than failing.
import { COLORMAPS } from './colormaps';
import { DEFAULT_SETTINGS, type ExplorerState, type ModelSettings } from '../state/store';

export const EXAMPLES = [
  'The animal didn’t cross the street because it was too tired.',
  'The cat sat on the mat, and the dog sat on the log.',
  'Attention is all you need 🙂 — even in 日本語, Ελληνικά and العربية.',
];

/** Reads the explorer's state from a URL query string (text, settings, layer, head, colormap). */
export function stateFromQuery(search: string): Partial<ExplorerState> & { settings: ModelSettings } {
  const q = new URLSearchParams(search);
  const num = (k: string, d: number) => {
    const v = Number(q.get(k));
    return q.has(k) && Number.isFinite(v) ? v : d;
  };
  const flag = (k: string, d: boolean) => (q.has(k) ? q.get(k) === '1' : d);
  const d = DEFAULT_SETTINGS;
  const settings: ModelSettings = {
    d_model: num('d', d.d_model),
    nhead: num('h', d.nhead),
    num_layers: num('n', d.num_layers),
    dim_feedforward: num('ff', d.dim_feedforward),
    seed: num('seed', d.seed),
    positional: flag('pe', d.positional),
    causal: flag('causal', d.causal),
    scaled: flag('scale', d.scaled),
  };
  const valid =
    [16, 32, 64, 128, 256, 512].includes(settings.d_model) &&
    settings.nhead >= 1 && settings.d_model % settings.nhead === 0 &&
    settings.num_layers >= 1 && settings.num_layers <= 6 &&
    settings.dim_feedforward >= 1 && settings.dim_feedforward <= 4096 &&
    settings.seed >= 0 && settings.seed <= 999999;
  const head = q.get('head');
  return {
    text: q.has('text') ? q.get('text')! : EXAMPLES[0],
    settings: valid ? settings : { ...d },
    layer: Math.max(0, Math.floor(num('layer', 0))),
    head: head === 'mean' ? 'mean' : Math.max(0, Math.floor(num('head', 0))),
    colormap: COLORMAPS[q.get('cmap') ?? ''] ? q.get('cmap')! : 'viridis',
    range: q.get('range') === 'fixed' ? 'fixed' : 'max',
  };
}

export function queryFromState(s: ExplorerState): string {
  const q = new URLSearchParams();
  q.set('text', s.text);
  q.set('d', String(s.settings.d_model));
  q.set('h', String(s.settings.nhead));
  q.set('n', String(s.settings.num_layers));
  q.set('ff', String(s.settings.dim_feedforward));
  q.set('seed', String(s.settings.seed));
  q.set('pe', s.settings.positional ? '1' : '0');
  q.set('causal', s.settings.causal ? '1' : '0');
  q.set('scale', s.settings.scaled ? '1' : '0');
  q.set('layer', String(s.layer));
  q.set('head', String(s.head));
  if (s.colormap !== 'viridis') q.set('cmap', s.colormap);
  if (s.range !== 'max') q.set('range', s.range);
  return q.toString();
}

