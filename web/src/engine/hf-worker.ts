// The engine worker's side of Hugging Face checkpoints: read a model folder's files (chosen by the user, kept in
// IndexedDB, or fetched from a folder on the site), open them with Engine.loadHuggingFace, analyze text with each
// family's own outputs (GPT-2's next tokens, BERT's [MASK] fillers, Marian's translation) and attention, and
// compute the head statistics after the first picture, one text at a time, so typing is answered in between.
// Models are held by key (a stored id, a folder URL, or for files the id they will be stored under) until the
// page releases them; a model that fails to load leaves nothing behind.
/// <reference lib="webworker" />
import type { Engine, HfModel, HfTokenizer, TokenizerEncoding } from '../../../engine/bindings/attn';
import type { HeadStat } from '../models/describe';
import {
  byteLevelLabel,
  STATS_TEXTS,
  folderName,
  inputError,
  modelKey,
  pickModelFiles,
  pieceText,
  showToken,
  type HfFamily,
} from '../models/hf';
import { loadHfModel } from '../models/hf-store';
import { headVectors } from '../lab/attention-set';
import type { AblationResult } from './ablation';
import { runHfAblation, setMeans, type HfAblationArgs, type Masks } from './hf-ablation';
import { runStatsJob } from './stats-job';
import type { AnalyzeRequest, AttentionView, FromWorker, HeadVectors, HfInfo, HfSource, LoadedModel, Outputs, TokenInfo } from './protocol';

type Post = (msg: FromWorker, transfer?: Transferable[]) => void;

interface Current {
  key: string;
  model: HfModel;
  tok: HfTokenizer;
  info: LoadedModel;
  stats: 'none' | 'running' | 'done';
  /** Each head's mean over STATS_TEXTS (hf-ablation.ts setMeans), once a mean ablation has asked for it. */
  means?: Masks;
}

export interface HfResult {
  tokens: TokenInfo[];
  truncated: string;
  views: AttentionView[];
  outputs: Outputs;
  /** Outputs computed after the picture is posted (they replace `outputs`). */
  later?: () => Outputs;
}

type Trace = Record<string, { data: Float32Array; shape: number[] }>;

/**
 * Each layer's queries, keys and scores of one attention block of a trace 'full' (`${prefix}.layers.${l}.${block}.q`
 * [1, H, rows, Dh], .k [1, H, cols, Dh], .scores and .scaled [1, H, rows, cols]), as AttentionView.vectors; undefined
 * without a full trace.
 */
function traceVectors(trace: Trace | undefined, prefix: 'encoder' | 'decoder', block: 'self_attn' | 'multihead_attn', layers: number): HeadVectors[] | undefined {
  if (!trace) return undefined;
  const out: HeadVectors[] = [];
  for (let l = 0; l < layers; l++) {
    const v = headVectors((entry) => trace[`${prefix}.layers.${l}.${block}.${entry}`]);
    if (!v) return undefined;
    out.push(v);
  }
  return out;
}

const PUNCT = /^[\s\p{P}\p{S}]+$/u;
const isPunct = (s: string) => s.trim().length > 0 && PUNCT.test(s);

/** Reads a Blob or a response body into one buffer of `size` bytes, reporting each chunk. */
async function readStream(stream: ReadableStream<Uint8Array> | null, size: number, fallback: () => Promise<ArrayBuffer>,
  onChunk: (n: number) => void): Promise<Uint8Array> {
  if (!stream || !size) {
    const b = new Uint8Array(await fallback());
    onChunk(b.length);
    return b;
  }
  const out = new Uint8Array(size);
  const reader = stream.getReader();
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.length > size) throw inputError('a file changed while it was being read: choose it again');
    out.set(value, offset);
    offset += value.length;
    onChunk(value.length);
  }
  if (offset !== size) throw inputError('a file ended before its stated size: it was cut short while being read');
  return out;
}

export class HfHost {
  private models = new Map<string, Current>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly engine: () => Engine | undefined, private readonly post: Post) {}

  /** Opens a model (one load at a time, in order). Replies hf-progress*, then hf-loaded or hf-error. */
  load(reqId: number, source: HfSource) {
    this.queue = this.queue.then(() => this.loadNow(reqId, source)).catch((e: Error) => {
      const fatal = e.name !== 'AttnError';
      this.post({ kind: 'hf-error', reqId, message: e.message, fatal });
    });
  }

  /** Frees a model no view uses (after any load in progress). */
  release(key: string) {
    this.queue = this.queue.then(() => {
      this.models.get(key)?.model.delete();
      this.models.delete(key);
    });
  }

  private async loadNow(reqId: number, source: HfSource) {
    const engine = this.engine();
    if (!engine) throw new Error('engine not loaded');
    const known = source.kind === 'stored' ? source.id : source.kind === 'url' ? source.url : undefined;
    const have = known ? this.models.get(known) : undefined;
    if (have) {
      this.post({ kind: 'hf-loaded', reqId, info: have.info });
      return;
    }
    let last = 0;
    const progress = (loaded: number, total: number, force = false) => {
      const now = performance.now();
      if (!force && now - last < 60 && loaded < total) return;
      last = now;
      this.post({ kind: 'hf-progress', reqId, phase: 'reading', loaded, total });
    };
    const { bytes, name: folder } = await this.read(source, progress);
    let config: Record<string, unknown> = {};
    try {
      config = bytes['config.json'] ? JSON.parse(new TextDecoder().decode(bytes['config.json'])) : {};
    } catch {
      // the engine says what is wrong with it
    }
    const key = known ?? modelKey(String(config.model_type ?? 'model'), bytes);
    const same = this.models.get(key);
    if (same) {
      // The same files opened again: the model is already here.
      this.post({ kind: 'hf-loaded', reqId, info: same.info });
      return;
    }
    this.post({ kind: 'hf-progress', reqId, phase: 'building', loaded: 0, total: 0 });
    const model = engine.loadHuggingFace(bytes);
    const tok = model.tokenizer as HfTokenizer | null;
    if (!tok) {
      model.delete();
      const files = model.family === 'gpt2' ? 'tokenizer.json (or vocab.json and merges.txt)'
        : model.family === 'marian' ? 'source.spm, target.spm and vocab.json' : 'tokenizer.json (or vocab.txt)';
      throw inputError(`The ${model.family} model loaded, but there are no tokenizer files, so the page cannot read your text: add ${files} from the same model.`);
    }
    const c = model.config;
    // Files chosen one by one have no folder name: the checkpoint's own (config.json's _name_or_path) or its class.
    const name = folder || String(config._name_or_path ?? '').split('/').filter(Boolean).pop() || (c.architectures[0] ?? model.family);
    const mask = tok.specialTokens.mask;
    const hf: HfInfo = {
      key,
      source: source.kind,
      name,
      family: model.family as HfFamily,
      architecture: c.architectures[0] ?? model.family,
      dtype: model.dtype,
      numParameters: model.numParameters,
      memoryBytes: model.memoryBytes,
      unused: model.unused,
      layers: c.num_layers,
      heads: c.num_heads,
      decoderLayers: c.decoder_layers ?? 0,
      dModel: c.d_model,
      vocabSize: c.vocab_size,
      maxPositions: c.max_positions,
      maxTokens: Math.min(c.max_positions, model.maxTokens || c.max_positions),
      lmHead: !!c.lm_head,
      tokenizer: tok.source,
      tokenizerKind: tok.kind,
      maskToken: mask === null ? '' : tok.idToToken(mask) ?? '',
      files: Object.entries(bytes).map(([n, b]) => ({ name: n, size: b.length })),
    };
    const info: LoadedModel = {
      model: 'hf',
      hf,
      numParameters: model.numParameters,
      config: c as unknown as Record<string, unknown>,
      metrics: null,
      stats: {},
      statsProgress: { done: 0, total: STATS_TEXTS.length },
    };
    this.models.set(key, { key, model, tok, info, stats: 'none' });
    this.post({ kind: 'hf-loaded', reqId, info });
  }

  /** The folder's files as bytes, by name, and the model's name. */
  private async read(source: HfSource, progress: (loaded: number, total: number, force?: boolean) => void) {
    if (source.kind === 'url') return this.fetchFolder(source.url, progress);
    let blobs: Record<string, Blob>;
    let name: string;
    if (source.kind === 'stored') {
      const stored = await loadHfModel(source.id).catch(() => undefined);
      if (!stored)
        throw inputError('This model is not kept in this browser any more (it was removed, or kept in another browser): open its files again with “Open a model…”.');
      blobs = stored.files;
      name = stored.name;
    } else {
      blobs = source.files;
      name = source.name;
    }
    // The same checks as the page's (sizes before reading: a file too large for the engine is never read).
    pickModelFiles(Object.entries(blobs).map(([n, b]) => ({ name: n, size: b.size })));
    const total = Object.values(blobs).reduce((n, b) => n + b.size, 0);
    let loaded = 0;
    const bytes: Record<string, Uint8Array> = {};
    progress(0, total, true);
    const readAll = async (n: string, b: Blob) => {
      try {
        bytes[n] = await readStream(b.stream?.() ?? null, b.size, () => b.arrayBuffer(), (k) => progress((loaded += k), total));
      } catch (e) {
        if ((e as Error).name === 'AttnError') throw e;
        throw inputError(`${n} could not be read (${(e as Error).message}): was it moved or deleted? Choose it again.`);
      }
    };
    // The small files first; then the engine checks the model from them and the weights' headers alone
    // (inspectHuggingFace: names, shapes, the memory it needs), so a wrong or too-large model is refused before
    // its weights are read.
    const weights = Object.entries(blobs).filter(([n]) => n.endsWith('.safetensors'));
    for (const [n, b] of Object.entries(blobs)) if (!n.endsWith('.safetensors')) await readAll(n, b);
    const heads: Record<string, { size: number; head: Uint8Array }> = {};
    for (const [n, b] of weights) {
      const first = new Uint8Array(await b.slice(0, 8).arrayBuffer());
      const length = first.length === 8 ? Number(new DataView(first.buffer).getBigUint64(0, true)) : 0;
      heads[n] = { size: b.size, head: new Uint8Array(await b.slice(0, Math.min(b.size, 8 + Math.min(length, 100 << 20))).arrayBuffer()) };
    }
    this.engine()?.inspectHuggingFace({ ...bytes, ...heads });
    for (const [n, b] of weights) await readAll(n, b);
    progress(total, total, true);
    return { bytes, name };
  }

  /**
   * A folder on the site, read by the Hub's file names: config.json first, then the files its family uses (the
   * tokenizer's, preferring tokenizer.json), then the weights (model.safetensors, or the index and its shards).
   * Optional files that are absent (404) are skipped; asking only for the family's files keeps those few.
   */
  private async fetchFolder(url: string, progress: (loaded: number, total: number, force?: boolean) => void) {
    const bytes: Record<string, Uint8Array> = {};
    let loaded = 0;
    const sizes = new Map<string, number>();
    /** Fetches one file; false when it is absent. */
    const get = async (name: string, required = false): Promise<boolean> => {
      let res: Response;
      try {
        res = await fetch(new URL(name, url));
      } catch (e) {
        throw inputError(`could not fetch ${name} from ${url}: ${(e as Error).message}`);
      }
      // A missing file is a 404; some hosts answer with their HTML page instead.
      const html = (res.headers.get('content-type') ?? '').includes('text/html');
      if (!res.ok || html) {
        if (required || (res.status !== 404 && res.status !== 403 && res.status !== 410 && !html))
          throw inputError(`${name} could not be fetched from ${url} (HTTP ${res.status})`);
        return false;
      }
      const size = Number(res.headers.get('content-length')) || 0;
      sizes.set(name, size);
      const total = () => [...sizes.values()].reduce((a, b) => a + b, 0);
      bytes[name] = await readStream(res.body, size, () => res.arrayBuffer(), (k) => progress((loaded += k), total()));
      return true;
    };
    if (!(await get('config.json')))
      throw inputError(`There is no model at ${url}: config.json is missing there (a model folder holds config.json, model.safetensors and the tokenizer files).`);
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(new TextDecoder().decode(bytes['config.json']));
    } catch {
      // the engine says what is wrong with it
    }
    const family = String(config.model_type ?? '');
    const all = (names: string[]) => Promise.all(names.map((n) => get(n)));
    if (family === 'gpt2') {
      await all(['tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json']);
      if (!(await get('tokenizer.json'))) await all(['vocab.json', 'merges.txt']);
    } else if (family === 'bert' || family === 'distilbert') {
      await get('tokenizer_config.json');
      if (!(await get('tokenizer.json'))) await get('vocab.txt');
    } else if (family === 'marian') {
      await all(['source.spm', 'target.spm', 'vocab.json', 'tokenizer_config.json', 'generation_config.json']);
      try {
        if (JSON.parse(new TextDecoder().decode(bytes['tokenizer_config.json'] ?? new Uint8Array())).separate_vocabs) await get('target_vocab.json');
      } catch {
        // no tokenizer_config.json, or not JSON: the engine says so
      }
    } else {
      // A family the engine does not run: config.json alone gets its message, without downloading the weights.
      return { bytes, name: folderName(url) };
    }
    if (!(await get('model.safetensors')) && (await get('model.safetensors.index.json'))) {
      let shards: string[];
      try {
        const map = JSON.parse(new TextDecoder().decode(bytes['model.safetensors.index.json'])).weight_map as Record<string, string>;
        shards = [...new Set(Object.values(map))];
      } catch {
        throw inputError('model.safetensors.index.json: not a safetensors index (no weight_map)');
      }
      for (const s of shards) {
        if (!/^[\w.-]+\.safetensors$/.test(s)) throw inputError(`model.safetensors.index.json names "${s}", which is not a shard file name`);
        await get(s, true);
      }
    }
    progress(loaded, loaded, true);
    return { bytes, name: folderName(url) };
  }

  // ------------------------------------------------------------------------------------------ analysis
  analyze(req: AnalyzeRequest): HfResult {
    const c = this.models.get(req.hf ?? '');
    if (!c) throw Object.assign(new Error('superseded'), { name: 'Superseded' });
    const fam = c.info.hf!.family;
    // trace 'full' (the Neuron display): the same pass, keeping each attention's queries, keys and scores.
    const trace = req.trace === 'full' ? 'full' : 'none';
    if (fam === 'gpt2') return this.nextTokens(c, req.text, trace);
    if (fam === 'marian') return this.translate(c, req.text, trace);
    return this.fillMask(c, req.text, trace);
  }

  /** The typed text of each token (by its offsets); tokens the tokenizer added ([CLS], </s>) by name. */
  private tokens(c: Current, text: string, ids: ArrayLike<number>, offsets: [number, number][]): TokenInfo[] {
    return offsets.map(([s, e], i) => {
      const added = s === e;
      const special = added || c.tok.isSpecial(ids[i]);
      return { text: special ? c.tok.idToToken(ids[i]) ?? '?' : text.slice(s, e), start: s, end: e, ...(added ? { special: true } : {}) };
    });
  }

  /** How many tokens the model reads, and why no more: its positions, or the engine's memory. */
  private limit(c: Current): { n: number; why: string } {
    const { maxPositions, maxTokens } = c.info.hf!;
    return maxTokens < maxPositions
      ? { n: maxTokens, why: `With this model the engine’s memory holds ${maxTokens} tokens (the model has ${maxPositions} positions)` }
      : { n: maxPositions, why: `The model reads at most ${maxPositions} tokens` };
  }

  /**
   * The text as the model reads it: GPT-2 its last tokens, the others their first ones (with the tokens the
   * tokenizer adds); tokens is empty when nothing but added tokens is left. truncated: '' or what was cut.
   */
  private readText(c: Current, text: string): { ids: Int32Array; tokens: TokenInfo[]; truncated: string } {
    const { n: P, why } = this.limit(c);
    const fam = c.info.hf!.family;
    if (fam === 'gpt2') {
      const e = c.tok.encode(text);
      let first = 0;
      let truncated = e.truncated ? 'This text is too long for the tokenizer (1 MiB): it was cut.' : '';
      if (e.ids.length > P) {
        first = e.ids.length - P;
        truncated = `${why}: it sees the last ${P} of ${e.ids.length}.`;
      }
      const ids = e.ids.slice(first);
      return { ids, tokens: this.tokens(c, text, ids, e.offsets.slice(first)), truncated };
    }
    const e = c.tok.encode(text, { maxTokens: P });
    const tokens = this.tokens(c, text, e.ids, e.offsets);
    if (!tokens.some((t) => !t.special)) return { ids: e.ids, tokens: [], truncated: '' };
    const truncated = !e.truncated ? ''
      : fam === 'marian' ? `${why.replace(/tokens/g, 'pieces')} (</s> included): the rest was cut.`
      : `${why} (${tokens[0]?.text ?? '[CLS]'} and ${tokens[tokens.length - 1]?.text ?? '[SEP]'} included): the rest was cut.`;
    return { ids: e.ids, tokens, truncated };
  }

  private nextTokens(c: Current, text: string, trace: 'full' | 'none' = 'none'): HfResult {
    const { ids, tokens, truncated } = this.readText(c, text);
    if (!tokens.length) return { tokens: [], truncated: '', views: [], outputs: { kind: 'none' } };
    // The attention first, posted as soon as it is computed; then the next tokens (the vocabulary projection of
    // the last position, 38 M multiply-adds for GPT-2 small) from the same pass. cache: typing at the end computes
    // only the new tokens, and the second call none (the same numbers as a full pass). A full trace is always a full
    // pass (the cached path keeps only the weights, keys and values); the next tokens then continue from it.
    const out = c.model.forward({ input_ids: ids }, { logits: 'none', cache: true, trace });
    const labels = tokens.map((t) => showToken(t.text));
    const later = (): Outputs => {
      const next = c.model.nextTokens(ids, { topK: 5, cache: true }).predictions.map((p) => ({ token: this.gpt2Label(c, p.id), prob: p.probability }));
      return { kind: 'lm', next };
    };
    return {
      tokens,
      truncated,
      views: [this.view('self', 'Causal self-attention', out.attentions!, labels, labels, true,
        traceVectors(out.trace, 'decoder', 'self_attn', out.attentions!.length))],
      outputs: { kind: 'lm', next: [] },
      later,
    };
  }

  /** How the page names a GPT-2 output token. A model's vocabulary may have more rows than its tokenizer has tokens
   * (padded to a round number): those ids have no text. */
  private gpt2Label(c: Current, id: number) {
    return id < c.tok.vocabSize ? byteLevelLabel(c.tok.decode([id]), c.tok.idToToken(id) ?? '') : `[id ${id}]`;
  }

  private fillMask(c: Current, text: string, trace: 'full' | 'none' = 'none'): HfResult {
    const info = c.info.hf!;
    const { ids, tokens, truncated } = this.readText(c, text);
    if (!tokens.length) return { tokens: [], truncated: '', views: [], outputs: { kind: 'none' } };
    let attentions;
    let full: Trace | undefined;
    let masks: { position: number; predictions: { token: string; prob: number }[] }[] = [];
    if (info.lmHead) {
      const out = c.model.fillMask(ids, { topK: 5, trace });
      attentions = out.attentions!;
      full = out.trace;
      masks = out.masks.map((m) => ({
        position: m.position,
        predictions: m.predictions.map((p) => ({ token: c.tok.idToToken(p.id) ?? `[id ${p.id}]`, prob: p.probability })),
      }));
    } else {
      const out = c.model.forward({ input_ids: ids }, { logits: 'none', trace });
      attentions = out.attentions!;
      full = out.trace;
    }
    const labels = tokens.map((t) => showToken(t.text));
    return {
      tokens,
      truncated,
      views: [this.view('self', 'Bidirectional self-attention', attentions, labels, labels, false, traceVectors(full, 'encoder', 'self_attn', attentions.length))],
      outputs: { kind: 'mlm', mask: info.maskToken || '[MASK]', head: info.lmHead, masks },
    };
  }

  /** How many pieces Marian may write for a source of n pieces: enough for any translation, within its positions. */
  private maxNew(c: Current, n: number) {
    const cfg = c.model.config;
    return Math.max(1, Math.min(this.limit(c).n - 1, (cfg.max_length ?? 512) - 1, 2 * n + 10));
  }

  private translate(c: Current, text: string, trace: 'full' | 'none' = 'none'): HfResult {
    const { ids, tokens, truncated } = this.readText(c, text);
    if (!tokens.length) return { tokens: [], truncated: '', views: [], outputs: { kind: 'none' } };
    const limit = this.maxNew(c, ids.length);
    const g = c.model.generate({ input_ids: ids }, { maxNewTokens: limit, trace });
    const seq = Array.from(g.sequences);
    const n = seq.length - 1; // pieces written (the start token is not one)
    const eos = c.model.config.eos_token_id;
    const vocab = c.tok.targetVocab;
    const piece = (id: number) => (c.tok.isSpecial(id) ? vocab[id] ?? String(id) : showToken(pieceText(vocab[id] ?? String(id))));
    const produced = seq.slice(1).map(piece);
    const decoderIn = seq.slice(0, n).map(piece);
    const src = tokens.map((t) => showToken(t.text));
    // generate() returns the decoder's pass over its n inputs: row i (decoder input i) is the step that wrote piece i + 1.
    return {
      tokens,
      truncated,
      views: [
        this.view('cross', 'Cross-attention (decoder → encoder)', g.cross_attentions!, produced, src, false,
          traceVectors(g.trace, 'decoder', 'multihead_attn', g.cross_attentions!.length)),
        this.view('encoder', 'Encoder self-attention', g.encoder_attentions!, src, src, false,
          traceVectors(g.trace, 'encoder', 'self_attn', g.encoder_attentions!.length)),
        this.view('decoder', 'Decoder self-attention (causal)', g.decoder_attentions!, decoderIn, decoderIn, true,
          traceVectors(g.trace, 'decoder', 'self_attn', g.decoder_attentions!.length)),
      ],
      outputs: {
        kind: 'translation',
        text: g.text ?? '',
        pieces: produced,
        finished: seq[n] === eos && n < limit,
        limit,
      },
    };
  }

  private view(name: AttentionView['name'], title: string, ts: { data: Float32Array; shape: number[] }[], rows: string[],
    cols: string[], causal: boolean, vectors?: HeadVectors[]): AttentionView {
    const R = rows.length;
    const C = cols.length;
    let mask: Float32Array | undefined;
    if (causal) {
      mask = new Float32Array(R * C);
      for (let i = 0; i < R; i++) for (let j = i + 1; j < C; j++) mask[i * C + j] = -Infinity;
    }
    return {
      name,
      title,
      rows,
      cols,
      layers: ts.length,
      heads: ts[0]?.shape[1] ?? 1,
      weights: ts.map((t) => t.data),
      masks: ts.map(() => mask),
      ...(vectors ? { vectors } : {}),
    };
  }

  // ------------------------------------------------------------------------------------------ ablation
  /** The explorer's Ablation display (hf-ablation.ts): the text read as analyze reads it, with heads switched off. */
  ablation(a: HfAblationArgs): AblationResult {
    const c = this.models.get(a.hf);
    if (!c) throw inputError('This model is not open any more: open it again.');
    const fam = c.info.hf!.family;
    const { ids, tokens, truncated } = this.readText(c, a.text);
    return runHfAblation({
      model: c.model,
      ids,
      tokens: tokens.map((t) => t.text),
      truncated,
      maxNew: this.maxNew(c, ids.length),
      maskId: c.tok.specialTokens.mask,
      label: (id) => (fam === 'gpt2' ? this.gpt2Label(c, id) : c.tok.idToToken(id) ?? `[id ${id}]`),
      means: () => (c.means ??= setMeans(c.model, STATS_TEXTS.map((text) => {
        const { e, tgt } = this.statsInput(c, text);
        return { input_ids: e.ids, ...(tgt ? { decoder_input_ids: tgt } : {}) };
      }))),
    }, a);
  }

  // ------------------------------------------------------------------------------------------ statistics
  /**
   * After the model's first picture: each head's statistics over STATS_TEXTS (Marian: with its own translations
   * as the decoder's input), one text per turn of the worker's event loop, with progress.
   */
  startStats(key: string) {
    const c = this.models.get(key);
    if (!c || c.stats !== 'none') return;
    c.stats = 'running';
    const total = STATS_TEXTS.length;
    runStatsJob({
      total,
      one: (i) => this.statsOf(c, STATS_TEXTS[i]),
      alive: () => this.models.get(key) === c, // released: stop
      progress: (done) => this.post({ kind: 'hf-stats', key, done, total }),
      finish: (stats) => {
        c.info = { ...c.info, stats, statsProgress: undefined };
        c.stats = 'done';
        this.post({ kind: 'hf-stats', key, done: total, total, stats });
      },
    });
  }

  /** A text of the set as the statistics and the mean ablation read it; Marian: the decoder's input, the model's own
   * greedy translation without its last piece. */
  private statsInput(c: Current, text: string): { e: TokenizerEncoding; tgt?: Int32Array } {
    const e = c.tok.encode(text, { maxTokens: this.limit(c).n });
    if (c.info.hf!.family !== 'marian') return { e };
    const g = c.model.generate({ input_ids: e.ids }, { maxNewTokens: this.maxNew(c, e.ids.length) });
    return { e, tgt: g.sequences.slice(0, g.sequences.length - 1) };
  }

  private statsOf(c: Current, text: string): Record<string, HeadStat[][]> {
    const { e, tgt } = this.statsInput(c, text);
    const punct = Uint8Array.from(e.offsets, ([s, f]) => (f > s && isPunct(text.slice(s, f)) ? 1 : 0));
    const raw = c.model.headStats([e.ids], [punct], tgt && [tgt]) as Record<string, HeadStat[][]>;
    // By view name, as the explorer shows them.
    const fam = c.info.hf!.family;
    return fam === 'marian' ? raw : { self: fam === 'gpt2' ? raw.decoder : raw.encoder };
  }
}

