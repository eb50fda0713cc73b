// The explorer's state in a URL query string, so a view can be shared or embedded exactly:
// ?m=lm&text=...&view=self&layer=0&head=mean&cmap=viridis&range=max&display=lines&lh=0,2&pin=q3&pictures=lines
// (display: heatmap, lines, model, neuron, compare or ablation; lh: the heads the lines show; pin: the token pinned there, q3 = query 3, k0 =
// key 0; pictures: the model display's; q and k: the neuron display's query row and key column, 0-based; vs: the
// compare display's second text; off: the ablation display's heads switched off, "2.3,4.1" (the translator's
// "e1.2,d2.1,c1.3"), and ablate=mean: a removed head outputs its mean) (+ d, h, n, ff, seed, pe, causal, scale
// for the untrained model; hf=<stored id or model folder> for a Hugging Face model: ?hf=models/opus-mt-en-fr/ alone
// opens that folder). Invalid values fall back to the defaults rather than failing.
import { COLORMAPS } from './colormaps';
import { isSummary } from '../engine/rollout';
import { isDisplay } from './displays';
import { headsText, parseHeads, parsePin, pinText } from './lines';
import { MODELS, type ModelId } from '../models/catalog';
import { folderPath, folderUrl, isFolderKey } from '../models/hf';
import { DEFAULT_SETTINGS, defaultTexts, type ExplorerState, type ModelSettings } from '../state/store';

const VIEWS = ['self', 'encoder', 'decoder', 'cross'] as const;

/** A Hugging Face key as the page uses it: a stored model's id, or a folder's absolute URL (when on this site). */
export function hfKey(value: string, base: string): string {
  if (!isFolderKey(value)) return value;
  try {
    return folderUrl(value, base);
  } catch {
    return value; // another site: loading it says why it cannot
  }
}

export function stateFromQuery(search: string, base = globalThis.location?.href ?? 'http://localhost/'): Partial<ExplorerState> {
  const q = new URLSearchParams(search);
  const num = (k: string, d: number) => {
    const v = Number(q.get(k));
    return q.has(k) && Number.isFinite(v) ? v : d;
  };
  const flag = (k: string, d: boolean) => (q.has(k) ? q.get(k) === '1' : d);
  const index = (k: string) => (/^\d+$/.test(q.get(k) ?? '') && Number.isSafeInteger(Number(q.get(k))) ? Number(q.get(k)) : undefined);
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
    Number.isInteger(settings.seed) && settings.seed >= 0 && settings.seed <= 999999;
  const m = q.get('m');
  const labRun = q.get('run') || undefined; // run= (empty) is no run
  const hf = q.get('hf') ? hfKey(q.get('hf')!, base) : undefined;
  const model: ModelId = hf && (!m || m === 'hf') ? 'hf'
    : MODELS.some((x) => x.id === m) && (m !== 'lab' || labRun) && m !== 'hf' ? (m as ModelId) : 'lm';
  const texts = defaultTexts();
  if (q.has('text')) texts[model] = q.get('text')!;
  const head = q.get('head');
  const view = q.get('view') as ExplorerState['view'] | null;
  return {
    model,
    labRun,
    hf,
    // A link's text and view for a Hugging Face model are kept (not replaced by the family's preset).
    hfTextFor: hf && model === 'hf' && (q.has('text') || q.has('view')) ? hf : undefined,
    texts,
    settings: valid ? settings : { ...d },
    view: view && VIEWS.includes(view) ? view : model === 'dates' ? 'cross' : 'self',
    layer: Math.max(0, Math.floor(num('layer', 0))),
    head: head === 'mean' || isSummary(head) ? 'mean' : Math.max(0, Math.floor(num('head', 0))),
    summary: isSummary(head) ? head : undefined, // head=rollout, head=flow (engine/rollout.ts)
    colormap: COLORMAPS[q.get('cmap') ?? ''] ? q.get('cmap')! : 'viridis',
    range: q.get('range') === 'fixed' ? 'fixed' : 'max',
    display: isDisplay(q.get('display')) ? (q.get('display') as ExplorerState['display']) : 'heatmap',
    lineHeads: parseHeads(q.get('lh'), 0),
    pin: parsePin(q.get('pin'), 0),
    pictures: q.get('pictures') === 'lines' ? 'lines' : 'heatmap',
    query: index('q'),
    key: index('k'),
    vs: q.get('vs') ?? undefined,
    off: q.get('off') || undefined,
    ablate: q.get('ablate') === 'mean' ? 'mean' : 'zero',
    rank: q.get('rank') === '1' || undefined,
  };
}

export function queryFromState(s: ExplorerState): string {
  const q = new URLSearchParams();
  q.set('m', s.model);
  if (s.labRun) q.set('run', s.labRun);
  if (s.hf) q.set('hf', isFolderKey(s.hf) ? folderPath(s.hf) : s.hf);
  q.set('text', s.texts[s.model]);
  if (s.model === 'untrained') {
    q.set('d', String(s.settings.d_model));
    q.set('h', String(s.settings.nhead));
    q.set('n', String(s.settings.num_layers));
    q.set('ff', String(s.settings.dim_feedforward));
    q.set('seed', String(s.settings.seed));
    q.set('pe', s.settings.positional ? '1' : '0');
    q.set('causal', s.settings.causal ? '1' : '0');
    q.set('scale', s.settings.scaled ? '1' : '0');
  }
  q.set('view', s.view);
  q.set('layer', String(s.layer));
  q.set('head', s.summary ?? String(s.head));
  if (s.colormap !== 'viridis') q.set('cmap', s.colormap);
  if (s.range !== 'max') q.set('range', s.range);
  if (s.display !== 'heatmap') q.set('display', s.display);
  if (s.lineHeads?.length) q.set('lh', headsText(s.lineHeads, 0));
  if (s.pin) q.set('pin', pinText(s.pin, 0));
  if (s.pictures !== 'heatmap') q.set('pictures', s.pictures);
  if (s.query !== undefined) q.set('q', String(s.query));
  if (s.key !== undefined) q.set('k', String(s.key));
  if (s.vs !== undefined) q.set('vs', s.vs);
  if (s.off) q.set('off', s.off);
  if (s.ablate !== 'zero') q.set('ablate', s.ablate);
  if (s.rank) q.set('rank', '1');
  return q.toString();
}
