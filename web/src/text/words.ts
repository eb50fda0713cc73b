// The page's tokenizer until trained models bring their own: words and punctuation, split by the browser's
// Unicode word segmenter (Intl.Segmenter, UAX #29), so accents, CJK, emoji sequences and right-to-left scripts
// stay whole. Every token keeps its offsets into the typed text.

export interface Token {
  text: string;
  start: number; // UTF-16 offsets into the source text
  end: number;
}

export interface Tokenized {
  tokens: Token[]; // at most `max`
  /** True when the text holds more than `max` tokens (counting stops at max + 1). */
  truncated: boolean;
}

export const MAX_TOKENS = 512;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const SPACE = /^\s+$/u;

// Intl.Segmenter gets slower per step on long strings (a 1 MB text costs seconds for the first thousand
// words), so text is segmented in chunks of about CHUNK characters, cut at whitespace (always a word boundary).
const CHUNK = 2048;

/** End of the chunk starting at `from`: the first whitespace after from + CHUNK, else a safe code point. */
function chunkEnd(text: string, from: number): number {
  if (text.length - from <= CHUNK) return text.length;
  for (let i = from + CHUNK; i < Math.min(text.length, from + 2 * CHUNK); i++) if (/\s/u.test(text[i])) return i;
  // No whitespace (CJK, or one giant "word"): cut where no grapheme can be split (not before a mark, a joiner,
  // a variation selector or the second half of a surrogate pair).
  let i = from + 2 * CHUNK;
  while (i > from + CHUNK && /[\p{M}\u200d\ufe0e\ufe0f\udc00-\udfff]/u.test(text[i])) i--;
  return i;
}

/** Splits text into words and punctuation marks, in time linear in the text; stops after max + 1 tokens. */
export function splitWords(text: string, max = MAX_TOKENS): Tokenized {
  const tokens: Token[] = [];
  for (let from = 0; from < text.length; ) {
    const to = chunkEnd(text, from);
    for (const seg of segmenter.segment(text.slice(from, to))) {
      if (SPACE.test(seg.segment)) continue;
      const at = from + seg.index;
      if (seg.isWordLike) {
        tokens.push({ text: seg.segment, start: at, end: at + seg.segment.length });
      } else {
        // Punctuation and symbols: one token per grapheme ("..." -> ".", ".", "."); emoji sequences stay whole.
        for (const g of graphemes.segment(seg.segment)) {
          if (SPACE.test(g.segment)) continue;
          tokens.push({ text: g.segment, start: at + g.index, end: at + g.index + g.segment.length });
        }
      }
      if (tokens.length > max) return { tokens: tokens.slice(0, max), truncated: true };
    }
    from = to;
  }
  return { tokens, truncated: false };
}

/** Joins edited tokens back into text, without a space before closing punctuation. */
export function joinTokens(tokens: string[]): string {
  let out = '';
  for (const t of tokens) {
    if (out && !/^[.,;:!?%)\]}»”’…]/u.test(t) && !/[(\[{«“‘]$/u.test(out)) out += ' ';
    out += t;
  }
  return out;
}

/**
 * The id of a word in an untrained model's vocabulary: FNV-1a over the lower-cased word, modulo the vocabulary.
 * The same word always gets the same embedding, so repeated words attend alike.
 */
export function wordId(word: string, vocab: number): number {
  let h = 0x811c9dc5;
  const s = word.toLowerCase();
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % vocab;
}
