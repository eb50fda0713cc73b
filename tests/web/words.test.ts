// The page's word tokenizer and the store's rules.
import { describe, expect, it } from 'vitest';
import { MAX_TOKENS, joinTokens, splitWords, wordId } from '../../web/src/text/words';
import { DEFAULT_SETTINGS, Store, applyChipEdit, modelConfig, selectedMatrix, strongestLink } from '../../web/src/state/store';
import { queryFromState, stateFromQuery } from '../../web/src/components/url-state';

const texts = (s: string) => splitWords(s).tokens.map((t) => t.text);

describe('splitWords', () => {
  it('splits words and punctuation and keeps offsets into the text', () => {
    const text = 'Hello, world... (it’s fine)!';
    const { tokens, truncated } = splitWords(text);
    expect(tokens.map((t) => t.text)).toEqual(['Hello', ',', 'world', '.', '.', '.', '(', 'it’s', 'fine', ')', '!']);
    for (const t of tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
    expect(truncated).toBe(false);
  });

  it('keeps emoji sequences, combining marks, CJK and right-to-left words whole', () => {
    expect(texts('👩‍👩‍👧 🇫🇷 👍🏽')).toEqual(['👩‍👩‍👧', '🇫🇷', '👍🏽']);
    expect(texts('cafe\u0301 naïve')).toEqual(['cafe\u0301', 'naïve']);
    expect(texts('שלום עולם مرحبا')).toEqual(['שלום', 'עולם', 'مرحبا']);
    expect(texts('日本語').join('')).toBe('日本語');
  });

  it('handles empty, blank, control characters and NUL without failing', () => {
    expect(texts('')).toEqual([]);
    expect(texts('   \n\t ')).toEqual([]);
    expect(texts('a\u0000b\u0007c').join('')).toContain('a');
  });

  it('stops at the limit and says so', () => {
    const long = 'x '.repeat(100000);
    const { tokens, truncated } = splitWords(long);
    expect(tokens.length).toBe(MAX_TOKENS);
    expect(truncated).toBe(true);
    expect(splitWords('x '.repeat(MAX_TOKENS)).truncated).toBe(false);
  });

  it('joins edited tokens back into readable text', () => {
    expect(joinTokens(['The', 'cat', ',', 'the', 'dog', '.'])).toBe('The cat, the dog.');
    expect(joinTokens(['(', 'a', ')'])).toBe('(a)');
  });

  it('maps words to stable ids, ignoring case', () => {
    expect(wordId('Cat', 8192)).toBe(wordId('cat', 8192));
    expect(wordId('cat', 8192)).not.toBe(wordId('dog', 8192));
    for (const w of ['a', 'Z', '😀', 'שלום']) {
      const id = wordId(w, 100);
      expect(id).toBeGreaterThanOrEqual(0);
      expect(id).toBeLessThan(100);
    }
  });
});

describe('Store', () => {
  it('keeps one text per model and notifies once per change', () => {
    const store = new Store();
    let calls = 0;
    store.subscribe(() => calls++);
    store.setText('one two');
    store.setModel('dates');
    store.setText('23.11.2026');
    expect(store.state.texts.lm).toBe('one two');
    expect(store.text).toBe('23.11.2026');
    expect(store.state.view).toBe('cross');
    expect(calls).toBe(3);
  });

  it('keeps settings valid: heads always divide d_model, selections stay in range', () => {
    const store = new Store();
    store.select(1, 3);
    store.setSettings({ d_model: 64, nhead: 4, num_layers: 1 });
    expect(store.state.layer).toBe(0);
    store.setSettings({ nhead: 2 });
    expect(store.state.head).toBe(1);
    store.setSettings({ d_model: 16, nhead: 16 });
    store.setSettings({ d_model: 32 });
    expect(store.state.settings.d_model % store.state.settings.nhead).toBe(0);
  });

  it('builds the engine config of the untrained model from the settings', () => {
    const c = modelConfig({ ...DEFAULT_SETTINGS, positional: false, causal: true, scaled: false });
    expect(c).toMatchObject({ positional: 'none', causal: true, scaled: false, arch: 'encoder', dropout: 0 });
  });

  it('averages heads for the mean view', () => {
    const w = new Float32Array([1, 0, 0, 1, 0, 1, 1, 0]); // 2 heads of 2x2
    const v = { name: 'self' as const, title: '', rows: ['a', 'b'], cols: ['a', 'b'], layers: 1, heads: 2, weights: [w], masks: [undefined] };
    expect(Array.from(selectedMatrix(v, 0, 'mean').matrix)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(selectedMatrix(v, 0, 1).matrix)).toEqual([0, 1, 1, 0]);
  });

  it('names a head by its strongest link (the model view’s text alternative): masked cells never win, cut not rounded', () => {
    const w = new Float32Array([0.3, 0.7, 0.999, 0.001, 0.2, 0.8, 0.6, 0.4]); // 2 heads of 2x2
    const mask = new Float32Array([0, -Infinity, 0, 0]);
    const v = { name: 'self' as const, title: '', rows: ['a', 'b'], cols: ['c', 'd'], layers: 1, heads: 2, weights: [w], masks: [mask] };
    expect(strongestLink(v, 0, 0)).toBe('strongest link on this text “b” → “c”, 0.99');
    expect(strongestLink(v, 0, 1)).toBe('strongest link on this text “b” → “c”, 0.60'); // 0.8 is masked
    expect(strongestLink({ ...v, masks: [new Float32Array(4).fill(-Infinity)] }, 0, 0)).toBe('no weight on this text');
  });
});

describe('chip edits rewrite the text', () => {
  const text = 'The cat sat.';
  const tokens = splitWords(text).tokens; // The, cat, sat, .
  it('edits, inserts, deletes and moves tokens', () => {
    expect(applyChipEdit(text, tokens, { op: 'edit', index: 1, text: 'dog' })).toBe('The dog sat.');
    expect(applyChipEdit(text, tokens, { op: 'insert', after: 0, text: 'old' })).toBe('The old cat sat.');
    expect(applyChipEdit(text, tokens, { op: 'delete', index: 1 })).toBe('The sat.');
    expect(applyChipEdit(text, tokens, { op: 'move', from: 1, to: 0 })).toBe('cat The sat.');
    expect(applyChipEdit(text, tokens, { op: 'move', from: 0, to: 2 })).toBe('cat sat The.');
    expect(applyChipEdit('', [], { op: 'insert', after: -1, text: 'hello' })).toBe('hello');
  });
  it('works with byte-level BPE tokens that carry their leading space', () => {
    const t = [
      { text: 'The', start: 0, end: 3 },
      { text: ' cat', start: 3, end: 7 },
    ];
    expect(applyChipEdit('The cat', t, { op: 'edit', index: 1, text: 'dog' })).toBe('The dog');
    expect(applyChipEdit('The cat', t, { op: 'move', from: 1, to: 0 })).toBe('cat The');
  });
});

describe('URL state', () => {
  it('round-trips the explorer state through the query string', () => {
    const store = new Store(stateFromQuery('?m=untrained&text=a%20b&d=32&h=8&n=3&ff=64&seed=7&pe=0&causal=1&scale=0&layer=2&head=mean&cmap=magma'));
    const s = store.state;
    expect(s.model).toBe('untrained');
    expect(store.text).toBe('a b');
    expect(s.settings).toEqual({ d_model: 32, nhead: 8, num_layers: 3, dim_feedforward: 64, seed: 7, positional: false, causal: true, scaled: false });
    expect(s.head).toBe('mean');
    expect(s.colormap).toBe('magma');
    const back = stateFromQuery(`?${queryFromState(s)}`);
    expect(back.settings).toEqual(s.settings);
    expect(back.texts!.untrained).toBe('a b');
    expect(back.model).toBe('untrained');
  });

  it('falls back to defaults on invalid values instead of failing', () => {
    const s = stateFromQuery('?m=bogus&d=63&h=4&seed=-1&layer=abc&view=nope');
    expect(s.model).toBe('lm');
    expect(s.settings).toEqual(DEFAULT_SETTINGS);
    expect(s.layer).toBe(0);
    expect(s.view).toBe('self');
  });
});

describe('splitWords on huge input', () => {
  it('reads a 2 MB paste only as far as the limit (segmented in chunks, so the page does not stall)', () => {
    const huge = 'lorem ipsum '.repeat(180000);
    const { tokens, truncated } = splitWords(huge);
    expect(truncated).toBe(true);
    expect(tokens[511].text).toBe('ipsum');
    expect(tokens[511].end).toBeLessThan(4 * 2048);
  });

  it('chunks CJK text without spaces without losing or splitting characters', () => {
    const cjk = '日本語の文章です。'.repeat(600) + '👩‍👩‍👧'.repeat(400);
    const { tokens } = splitWords(cjk, 100000);
    expect(tokens.map((t) => t.text).join('')).toBe(cjk.replace(/\s/g, ''));
    expect(tokens.filter((t) => t.text.includes('\u200d')).every((t) => t.text === '👩‍👩‍👧')).toBe(true);
  });
});
