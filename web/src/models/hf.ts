// Hugging Face checkpoints in the page: which files make a model folder, how they are checked before the engine
// reads them, how a model is named and keyed, the texts its head statistics are computed on, and how those
// statistics are combined. Plain functions, shared by the page and the engine worker (no DOM, no engine).
import type { HeadStat } from './describe';

export type HfFamily = 'gpt2' | 'bert' | 'distilbert' | 'marian';

/** steps: how the family's own code makes an attention weight, next to the engine's steps the neuron view shows. */
export const HF_FAMILIES: Record<HfFamily, { title: string; kind: string; example: string; summary: string; steps: string }> = {
  gpt2: {
    title: 'GPT-2',
    kind: 'decoder-only, causal',
    example: "The animal didn't cross the street because it was too",
    summary: 'Predicts the next token. Each token attends only to itself and the tokens before it.',
    steps: 'Hugging Face’s GPT-2 takes the same steps in the same order: q · k, ÷ √Dh, the causal mask, the softmax.',
  },
  bert: {
    title: 'BERT',
    kind: 'encoder-only, bidirectional',
    example: 'The capital of France is [MASK].',
    summary: 'Fills in [MASK]: type it where a word should go. Every token sees the whole sentence.',
    steps: 'Hugging Face’s BERT takes the same steps in the same order: q · k, ÷ √Dh, plus the padding mask (none for one text), the softmax.',
  },
  distilbert: {
    title: 'DistilBERT',
    kind: 'encoder-only, bidirectional',
    example: 'The capital of France is [MASK].',
    summary: 'Fills in [MASK]: type it where a word should go. Every token sees the whole sentence.',
    steps: 'Hugging Face’s DistilBERT divides q by √Dh before q · k; the engine divides q · k instead (equal up to float rounding): these are the engine’s numbers.',
  },
  marian: {
    title: 'MarianMT',
    kind: 'encoder-decoder, translation',
    // The curriculum's alignment example (../shared/seeds/003: Helsinki-NLP/opus-mt-en-fr).
    example: 'The cat sat on the mat.',
    summary: 'Translates. Cross-attention shows which source pieces each target piece reads.',
    steps: 'Hugging Face’s Marian multiplies q by 1/√Dh in its projection, before q · k; the engine divides q · k instead (equal up to float rounding): q here is unscaled, and these are the engine’s numbers.',
  },
};

/** The files a model folder may hold, as the Hub names them. model-*.safetensors shards are added from the index. */
export const HF_FILE_NAMES = [
  'config.json',
  'model.safetensors',
  'model.safetensors.index.json',
  'tokenizer.json',
  'vocab.json',
  'merges.txt',
  'vocab.txt',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'source.spm',
  'target.spm',
  'target_vocab.json',
  'generation_config.json',
];

const SHARD = /^model-\d+-of-\d+\.safetensors$/;
const OTHER_WEIGHTS = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'rust_model.ot', 'model.onnx'];

/** The largest weights the engine can hold: its WebAssembly memory is 2 GB at most. */
export const MAX_WEIGHT_BYTES = 2 * 1024 ** 3;

export interface FileLike {
  name: string;
  size: number;
  /** Where the file was in the chosen or dropped folder ("opus-mt-en-fr/config.json"), if known. */
  path?: string;
}

export interface PickedFiles<F extends FileLike> {
  /** The files the engine reads, by their Hub name. */
  files: Record<string, F>;
  /** Files left out (not part of a model folder, e.g. README.md). */
  ignored: string[];
  /** The model's name: its folder's name, when the files came in one. */
  name: string;
}

/** An error with a message for the reader: bad input, not a broken engine. */
export function inputError(message: string): Error {
  return Object.assign(new Error(message), { name: 'AttnError' });
}

/**
 * Picks a model folder's files out of what the user chose or dropped, by name. Throws (inputError) when the files
 * cannot be one model: two files of the same name (two models at once), only PyTorch/TF weights, or weights too
 * large for the engine. The engine checks everything else (what is missing, what does not match) with its own
 * messages.
 */
export function pickModelFiles<F extends FileLike>(all: F[]): PickedFiles<F> {
  const files: Record<string, F> = {};
  const ignored: string[] = [];
  for (const f of all) {
    const known = HF_FILE_NAMES.includes(f.name) || SHARD.test(f.name);
    if (!known) {
      ignored.push(f.path || f.name);
      continue;
    }
    const prev = files[f.name];
    if (prev) {
      throw inputError(`Two files are named ${f.name} (${prev.path || prev.name} and ${f.path || f.name}): these are files of two models. Open one model folder at a time.`);
    }
    files[f.name] = f;
  }
  if (!Object.keys(files).length) {
    const other = all.find((f) => OTHER_WEIGHTS.includes(f.name));
    if (other)
      throw inputError(`${other.name} is not a format the engine reads: download the model's model.safetensors (with config.json and the tokenizer files) instead.`);
    throw inputError(all.length
      ? `None of these files belongs to a Hugging Face model folder (${all.slice(0, 3).map((f) => f.name).join(', ')}${all.length > 3 ? ', …' : ''}): choose config.json, model.safetensors and the tokenizer files.`
      : 'No files were chosen.');
  }
  if (!files['model.safetensors'] && !files['model.safetensors.index.json']) {
    const other = all.find((f) => OTHER_WEIGHTS.includes(f.name));
    if (other)
      throw inputError(`${other.name} is not a format the engine reads: download the model's model.safetensors instead.`);
  }
  const weights = Object.values(files).filter((f) => f.name.endsWith('.safetensors')).reduce((n, f) => n + f.size, 0);
  if (weights > MAX_WEIGHT_BYTES)
    throw inputError(`The weights are ${formatBytes(weights)}: more than the 2 GB of memory the engine has in this page (WebAssembly's limit), so this model cannot run here. Models of GPT-2 medium's or BERT-large's size fit.`);
  const withPath = Object.values(files).find((f) => f.path && f.path.includes('/'));
  const name = withPath ? withPath.path!.split('/').slice(-2, -1)[0] : '';
  return { files, ignored, name };
}

/** A readable size: 1.2 MB, 548 MB, 2.0 GB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} KB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

/** 124,439,808 → "124.4M"; 57,600 → "57,600". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  return n.toLocaleString('en-US');
}

/** A stored model's key is a short id (letters, digits, dashes); anything else (with a slash) is a folder URL. */
export function isFolderKey(key: string): boolean {
  return key.includes('/') || key.includes('.');
}

/**
 * The absolute URL of a model folder on the page's own site, ending in "/", from what a link or attribute says
 * ("models/opus-mt-en-fr/", "/course/models/gpt2"). Throws (inputError) for another origin: the strict CSP only
 * lets the page read its own site, so the files must sit next to it.
 */
export function folderUrl(value: string, base: string): string {
  let u: URL;
  try {
    u = new URL(value, base);
  } catch {
    throw inputError(`"${value}" is not a folder address.`);
  }
  if (u.origin !== new URL(base).origin)
    throw inputError(`The model folder ${u.href} is on another site: put the model's files on this page's own site (the page reads only its own site), e.g. models/opus-mt-en-fr/.`);
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

/** The short form of a folder URL for links and attributes: its path on the site (the URL as given if elsewhere,
 * so that a link written from it reads back to the same key). */
export function folderPath(url: string, base = globalThis.location?.href): string {
  try {
    const u = new URL(url, base);
    return base && u.origin === new URL(base).origin ? u.pathname : url;
  } catch {
    return url;
  }
}

/** The name shown for a folder URL: its last path segment. */
export function folderName(url: string): string {
  const parts = new URL(url).pathname.split('/').filter(Boolean);
  return decodeURIComponent(parts[parts.length - 1] ?? 'model');
}

/** FNV-1a, 32 bits, continued from `h`. */
function fnv(bytes: Uint8Array, h: number): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}

/**
 * A stored model's id: its family and a hash of its config.json, its files' names and sizes and the first and
 * last 64 KB of its weights, so the same folder opened twice is kept once.
 */
export function modelKey(family: string, files: Record<string, Uint8Array>): string {
  const enc = new TextEncoder();
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (const name of Object.keys(files).sort()) {
    const f = files[name];
    const parts: Uint8Array[] = [enc.encode(`${name}:${f.length};`)];
    if (name === 'config.json') parts.push(f);
    else if (name.endsWith('.safetensors')) parts.push(f.subarray(0, 65536), f.subarray(Math.max(0, f.length - 65536)));
    for (const p of parts) {
      a = fnv(p, a);
      b = fnv(p, b);
    }
  }
  return `${family}-${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0').slice(0, 4)}`;
}

/**
 * The built-in texts each head's statistics are computed on (their share of attention to the previous token,
 * the first token, punctuation, ...): short varied English sentences. For Marian, the decoder reads the model's
 * own greedy translation of each.
 */
export const STATS_TEXTS = [
  'The cat sat on the mat.',
  "The animal didn't cross the street because it was too tired.",
  'She gave him the book that she had bought yesterday.',
  'When the rain stopped, the children ran outside to play.',
  'Attention lets every word look at every other word.',
  'The committee, which met on Tuesday, approved the new budget.',
  'I think that the answer is probably right, but I am not sure.',
  'After dinner we walked along the river and talked about music.',
  'Scientists discovered a new species of frog in the rainforest.',
  'Can you tell me where the nearest train station is?',
  'The old man and the sea is a short novel by Ernest Hemingway.',
  'If it rains tomorrow, the game will be played indoors.',
];

/**
 * Head statistics of several sequences computed one sequence at a time (so the worker can answer between them),
 * combined into what one call over all of them gives: entropy, self, punct and max are averages over query
 * rows; previous and first over the rows after the first; next over the rows that have a next key (none in
 * cross-attention). Exact when no row is padded, which is the case for the texts above.
 */
export function combineHeadStats(parts: HeadStat[][][], kind: 'self' | 'cross'): HeadStat[][] {
  if (!parts.length) return [];
  return parts[0].map((layer, l) =>
    layer.map((_, h) => {
      const sum = { entropy: 0, previous: 0, self: 0, next: 0, first: 0, punct: 0, max: 0, rows: 0 };
      let later = 0;
      let earlier = 0;
      for (const p of parts) {
        const s = p[l][h];
        const n = s.rows;
        const m = Math.max(0, n - 1);
        sum.entropy += s.entropy * n;
        sum.self += s.self * n;
        sum.punct += s.punct * n;
        sum.max += s.max * n;
        sum.previous += s.previous * m;
        sum.first += s.first * m;
        sum.rows += n;
        later += m;
        if (kind === 'self') {
          sum.next += s.next * m;
          earlier += m;
        }
      }
      const by = (x: number, n: number) => (n ? x / n : 0);
      return {
        entropy: by(sum.entropy, sum.rows),
        self: by(sum.self, sum.rows),
        punct: by(sum.punct, sum.rows),
        max: by(sum.max, sum.rows),
        previous: by(sum.previous, later),
        first: by(sum.first, later),
        next: by(sum.next, earlier),
        rows: sum.rows,
      };
    }),
  );
}

/** How a token reads on a chip or an axis: its typed text, a special token by name, a visible space. */
export function showToken(s: string): string {
  return s === ' ' ? '␣' : s.replace(/\n/g, '⏎').trim() || '␣';
}

/** A SentencePiece target piece as text: "▁chat" → "chat" (the ▁ marks a word start: a space). */
export function pieceText(piece: string): string {
  return piece.replace(/▁/g, ' ');
}

/** GPT-2's byte-level alphabet backwards: the printable character that stands for each byte → the byte. */
let byteOf: Map<string, number> | undefined;

/**
 * How a GPT-2 token reads: its text, or when it is only part of a character (a byte-level token cut inside
 * UTF-8, which decodes to U+FFFD), its bytes as \xE2\x80.
 */
export function byteLevelLabel(decoded: string, vocabString: string): string {
  if (!decoded.includes('\uFFFD')) return decoded;
  if (!byteOf) {
    byteOf = new Map();
    const bs: number[] = [];
    for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
    for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
    for (let b = 0xae; b <= 0xff; b++) bs.push(b);
    const cs = [...bs];
    let n = 0;
    for (let b = 0; b < 256; b++) {
      if (!bs.includes(b)) {
        bs.push(b);
        cs.push(256 + n++);
      }
    }
    bs.forEach((b, i) => byteOf!.set(String.fromCodePoint(cs[i]), b));
  }
  const bytes = [...vocabString].map((ch) => byteOf!.get(ch));
  if (bytes.some((b) => b === undefined)) return decoded;
  return bytes.map((b) => `\\x${b!.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
