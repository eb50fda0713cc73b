// Tokenizers through the JavaScript API (the WASM build, in Node), and interoperability: @huggingface/tokenizers
// 0.2.0 (pure JS) loading our tokenizer.json must give the same ids as our engine on a varied test set.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import type { Engine, Tokenizer } from '../../engine/bindings/attn';
import { loadBuiltEngine } from './golden';

interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
}
interface HfModule {
  Tokenizer: new (tokenizerJson: object, tokenizerConfig: object) => HfTokenizer;
}

let attn: Engine;
let hf: HfModule;
beforeAll(async () => {
  attn = await loadBuiltEngine();
  const require = createRequire(new URL('../../web/package.json', import.meta.url)); // web/node_modules
  hf = require('@huggingface/tokenizers') as HfModule;
});

// English, punctuation, numbers, contractions, emoji, CJK, accents, RTL, white space runs, newlines, controls.
const TEXTS = [
  'Hello, world! How are you doing today?',
  "I'm sure they'd've said it's fine; we'll see, won't we? I'M 'tis",
  'Numbers: 3.14159, 1,000,000 and 2024-01-15 at 10:30pm; 42nd 7x ٤٥ Ⅷ ½',
  'Punctuation!!! ... ??? --- (parens) [brackets] {braces} "quotes" «guillemets» — dashes',
  'emoji 👋🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 keycap 1️⃣ heart ❤️',
  '東京は日本の首都です。北京 서울 ひらがな カタカナ',
  'Café crème brûlée naïve résumé Ångström e\u0301 n\u0303 Z\u0351\u0352',
  'שלום עולם! مرحبا بالعالم. mixed עברית and English \u202Eevil\u202C',
  '   leading spaces, trailing spaces   ',
  'tabs\tand\t\ttabs, newlines\n\nand\r\nCRLF\n',
  'many     spaces   between\u00a0nbsp\u3000ideographic \u2028 separator',
  'Ünïcödé ναι Привет мир',
  'mathematical 𝕏𝕐 and gothic 𐍈 and private \u{10FFFD}',
  "''s' !!'s ...",
  '\u0000 NUL and \u0007 bell and \u001b[31m escape \u007f',
  'ZWJ\u200Djoiner zero\u200Bwidth BOM\uFEFFhere NEL\u0085there',
  '\uFEFFa leading byte order mark is text too',
];
const ENGLISH = [
  'The quick brown fox jumps over the lazy dog.',
  'It was the best of times, it was the worst of times, it was the age of wisdom.',
  'Attention is all you need: the transformer relies entirely on self-attention.',
  'She sells sea shells by the sea shore, and the shells she sells are surely sea shells.',
];
const CORPUS = [...Array(20)].flatMap(() => [...ENGLISH, ...TEXTS]);
const SPECIALS = ['<pad>', '<bos>', '<eos>'];

const hfLoad = (tok: Tokenizer) => new hf.Tokenizer(JSON.parse(tok.toJSON()), {});

describe('byte-level BPE', () => {
  let bpe: Tokenizer;
  beforeAll(() => {
    bpe = attn.trainTokenizer({ kind: 'bpe', texts: CORPUS, vocabSize: 700, specialTokens: SPECIALS });
  });

  it('trains with the special tokens first', () => {
    expect(bpe.kind).toBe('bpe');
    expect(bpe.vocabSize).toBe(700);
    expect([0, 1, 2].map((i) => bpe.idToToken(i))).toEqual(SPECIALS);
    expect(bpe.isSpecial(2)).toBe(true);
    expect(bpe.tokenToId('Ġthe')).toBeGreaterThan(258);
    expect(bpe.tokenToId('no such token')).toBe(-1);
  });

  it('@huggingface/tokenizers gives the same ids and tokens on every test text', () => {
    const theirs = hfLoad(bpe);
    for (const text of [...TEXTS, ...ENGLISH, 'unseen words: xylophone quixotic zephyr 🦄 龍']) {
      const ours = bpe.encode(text);
      const ref = theirs.encode(text, { add_special_tokens: false });
      expect(Array.from(ours.ids), JSON.stringify(text)).toEqual(ref.ids);
      expect(ours.tokens).toEqual(ref.tokens);
      expect(theirs.decode(ref.ids, { clean_up_tokenization_spaces: false })).toBe(text);
    }
  });

  it('round-trips and reports offsets in UTF-16 code units', () => {
    for (const text of TEXTS) {
      const e = bpe.encode(text);
      expect(bpe.decode(e.ids)).toBe(text);
      expect(e.offsets.length).toBe(e.ids.length);
      expect(e.offsets[0][0]).toBe(0);
      expect(e.offsets[e.offsets.length - 1][1]).toBe(text.length);
      for (let i = 0; i < e.ids.length; i++) {
        const [s, f] = e.offsets[i];
        expect(s).toBeLessThan(f);
        if (i > 0) expect(s).toBeLessThanOrEqual(e.offsets[i - 1][1]);
        const alone = (i === 0 || e.offsets[i - 1][1] <= s) && (i + 1 === e.ids.length || f <= e.offsets[i + 1][0]);
        if (alone) expect(bpe.decode([e.ids[i]])).toBe(text.slice(s, f));
      }
    }
  });

  it('a character split across byte tokens is reported whole by each of them', () => {
    const bytes = attn.trainTokenizer({ kind: 'bpe', texts: [], vocabSize: 0 }); // the 256 byte tokens only
    const e = bytes.encode('a👍b');
    expect(e.ids.length).toBe(6);
    expect(e.offsets).toEqual([[0, 1], [1, 3], [1, 3], [1, 3], [1, 3], [3, 4]]);
    expect(bytes.decode(e.ids)).toBe('a👍b');
    bytes.delete();
  });

  it('special tokens in the text are text; decode can skip them', () => {
    const e = bpe.encode('the end<eos>');
    expect(Array.from(e.ids).some((id) => bpe.isSpecial(id))).toBe(false);
    const ids = [1, ...e.ids, 2];
    expect(bpe.decode(ids)).toBe('<bos>the end<eos><eos>');
    expect(bpe.decode(ids, { skipSpecialTokens: true })).toBe('the end<eos>');
    expect(() => bpe.decode([9999])).toThrow(/outside the vocabulary \[0, 700\)/);
  });

  it('maxTokens truncates to a prefix; lone surrogates are replaced and counted', () => {
    const text = ENGLISH.join(' ');
    const full = bpe.encode(text);
    const five = bpe.encode(text, { maxTokens: 5 });
    expect(Array.from(five.ids)).toEqual(Array.from(full.ids.slice(0, 5)));
    expect(five.truncated).toBe(true);
    expect(full.truncated).toBe(false);
    const broken = bpe.encode('a\uD800b\uDC00c');
    expect(broken.replaced).toBe(2);
    expect(bpe.decode(broken.ids)).toBe('a\uFFFDb\uFFFDc');
    expect(broken.offsets[broken.offsets.length - 1][1]).toBe(5);
  });

  it('saves and loads tokenizer.json; bad files throw AttnError with the reason', () => {
    const again = attn.loadTokenizer(bpe.toJSON());
    expect(again.toJSON()).toBe(bpe.toJSON());
    for (const text of TEXTS) expect(Array.from(again.encode(text).ids)).toEqual(Array.from(bpe.encode(text).ids));
    again.delete();
    expect(() => attn.loadTokenizer('{')).toThrow(/tokenizer\.json: /);
    const json = JSON.parse(bpe.toJSON());
    json.normalizer = { type: 'NFC' };
    expect(() => attn.loadTokenizer(JSON.stringify(json))).toThrow(/normalizer is not supported/);
    expect(() => attn.trainTokenizer({ texts: ['x'], specialTokens: ['<a>', '<a>'] })).toThrow(/given twice/);
    expect(() => attn.trainTokenizer({ kind: 'word' as 'bpe', texts: ['x'] })).toThrow(/kind must be/);
  });
});

describe('character level', () => {
  let chars: Tokenizer;
  beforeAll(() => {
    // Trained without the last texts, so some characters are unknown.
    chars = attn.trainTokenizer({ kind: 'char', texts: [...ENGLISH, ...TEXTS.slice(0, 10)], minCount: 1,
      specialTokens: SPECIALS, unkToken: '<unk>' });
  });

  it('@huggingface/tokenizers gives the same ids (unknown characters included)', () => {
    expect(chars.kind).toBe('char');
    const unk = chars.tokenToId('<unk>');
    expect(unk).toBe(3);
    const theirs = hfLoad(chars);
    let unknown = 0;
    for (const text of [...TEXTS, ...ENGLISH]) {
      const ours = chars.encode(text);
      const ref = theirs.encode(text, { add_special_tokens: false });
      expect(Array.from(ours.ids), JSON.stringify(text)).toEqual(ref.ids);
      unknown += ours.ids.filter((id) => id === unk).length;
    }
    expect(unknown).toBeGreaterThan(10);
  });

  it('one token per character, offsets in UTF-16 code units, decode fuses', () => {
    const text = TEXTS[4]; // emoji: surrogate pairs
    const e = chars.encode(text);
    expect(e.ids.length).toBe([...text].length);
    expect(e.offsets.map(([s, f]) => text.slice(s, f))).toEqual([...text]);
    expect(chars.decode(e.ids)).toBe(text);
    const again = attn.loadTokenizer(chars.toJSON());
    expect(Array.from(again.encode(TEXTS[15]).ids)).toEqual(Array.from(chars.encode(TEXTS[15]).ids));
    again.delete();
  });
});
