// Generates engine/text/unicode_norm_tables.h: the Unicode data of Hugging Face's BertNormalizer,
// BertPreTokenizer and AddedVocabulary (engine/text/wordpiece.h, engine/text/hf_tokenizer.h).
//
//   node engine/text/gen_unicode_norm.mjs > engine/text/unicode_norm_tables.h
//
// Everything is read from this Node's own Unicode data, by testing every code point, so the tables are exact for
// its Unicode version (printed in the header):
//   - per code point, a set of flags (sorted ranges of equal flags):
//       kSpace    \p{White_Space}                      (Rust's char::is_whitespace; regex \s)
//       kControl  \p{Cc} | \p{Cf} | \p{Co}              (unicode_categories' is_other(): what clean_text drops)
//       kMark     \p{Mn}                               (what strip_accents drops after NFD)
//       kPunct    ASCII punctuation | \p{P}            (BertPreTokenizer's is_bert_punc)
//       kWord     \p{Alphabetic} | \p{M} | \p{Nd} | \p{Pc} | \p{Join_Control}   (regex \w: single_word tokens)
//   - the full lowercase mapping of each code point on its own, String.prototype.toLowerCase of the one-character
//     string: that is Rust's char::to_lowercase (no Final_Sigma context applies to a lone character: "Σ" -> "σ");
//   - the canonical decomposition (NFD) of each code point with its nonspacing marks (Mn) removed: what
//     strip_accents makes of a character. Hangul syllables are left out (the engine decomposes them by
//     the algorithm of Unicode chapter 3.12; this script checks that the algorithm agrees with Node).
// Canonical reordering between characters is not applied by the engine (each character is normalized on its own,
// which keeps the alignment to the input simple). After the Mn are removed it could only matter for two adjacent
// spacing marks of different combining classes, which this script lists (27 code points in Unicode 17: some
// viramas and musical symbols).
const flagsOf = [
  ['kSpace', 1, /^\p{White_Space}$/u],
  ['kControl', 2, /^[\p{Cc}\p{Cf}\p{Co}]$/u],
  ['kMark', 4, /^\p{Mn}$/u],
  ['kPunct', 8, /^[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]$/u],
  ['kWord', 16, /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u],
];
const isMn = /^\p{Mn}$/u;

const isHangulSyllable = (cp) => cp >= 0xac00 && cp <= 0xd7a3;
const hangulDecomposition = (cp) => {
  const s = cp - 0xac00;
  const out = [0x1100 + Math.floor(s / 588), 0x1161 + Math.floor((s % 588) / 28)];
  if (s % 28) out.push(0x11a7 + (s % 28));
  return out;
};

const ranges = []; // [first, last, flags]
const lower = []; // [cp, [cps]]
const strip = []; // [cp, [cps]]
const spacingWithClass = [];
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue; // surrogates are not characters (never decoded from UTF-8)
  const ch = String.fromCodePoint(cp);
  let flags = 0;
  for (const [, bit, re] of flagsOf) if (re.test(ch)) flags |= bit;
  if (flags) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === cp - 1 && last[2] === flags) last[1] = cp;
    else ranges.push([cp, cp, flags]);
  }
  const lo = [...ch.toLowerCase()].map((c) => c.codePointAt(0));
  if (lo.length !== 1 || lo[0] !== cp) lower.push([cp, lo]);
  const nfd = [...ch.normalize('NFD')];
  if (isHangulSyllable(cp)) {
    const expected = hangulDecomposition(cp);
    if (nfd.map((c) => c.codePointAt(0)).join() !== expected.join()) throw new Error(`Hangul U+${cp.toString(16)}`);
    continue;
  }
  if (isMn.test(ch)) continue; // dropped whole: the kMark flag says so
  if (nfd.length !== 1 || nfd[0] !== ch) strip.push([cp, nfd.filter((c) => !isMn.test(c)).map((c) => c.codePointAt(0))]);
  // A spacing character with a non-zero combining class: NFD would reorder it against a mark of lower class.
  const a = (ch + '\u0334').normalize('NFD'), b = ('\u0345' + ch).normalize('NFD');
  if (nfd.length === 1 && nfd[0] === ch && (a !== ch + '\u0334' || b !== '\u0345' + ch)) spacingWithClass.push(cp);
}

// The engine lowercases after stripping (Rust's order: strip_accents, then lowercase); the npm port of
// tokenizers lowercases first. Check that the two orders agree on every code point, so neither order is a
// source of difference.
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const ch = String.fromCodePoint(cp);
  const stripped = (s) => [...s.normalize('NFD')].filter((c) => !isMn.test(c)).join('');
  const rust = [...stripped(ch)].map((c) => c.toLowerCase()).join('');
  if (rust !== stripped(ch.toLowerCase())) throw new Error(`strip/lowercase order matters for U+${cp.toString(16)}`);
}

const hex = (n) => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
const rows = (items, perLine) => {
  const lines = [];
  for (let i = 0; i < items.length; i += perLine) lines.push('    ' + items.slice(i, i + perLine).join(', ') + ',');
  return lines.join('\n');
};
const flagExpr = (f) => flagsOf.filter(([, bit]) => f & bit).map(([name]) => name).join(' | ');
const mappingTable = (name, entries) => {
  const pool = [];
  const rowsOut = entries.map(([cp, cps]) => {
    const offset = pool.length;
    pool.push(...cps);
    return `{${hex(cp)}, ${offset}, ${cps.length}}`;
  });
  if (pool.length >= 65536) throw new Error(`${name}: pool too big`);
  return { pool: rows(pool.map(hex), 10), rows: rows(rowsOut, 5), size: pool.length };
};
const lo = mappingTable('lowercase', lower);
const st = mappingTable('strip', strip);

process.stdout.write(`// GENERATED by engine/text/gen_unicode_norm.mjs: do not edit. Regenerate with
//   node engine/text/gen_unicode_norm.mjs > engine/text/unicode_norm_tables.h
// Source: Node ${process.versions.node} (Unicode ${process.versions.unicode}, ICU ${process.versions.icu}), by testing every code point.
// ${ranges.length} flag ranges, ${lower.length} lowercase mappings, ${strip.length} decompositions (Mn removed).
// Spacing characters with a non-zero combining class (not reordered, see the generator): ${spacingWithClass.length}.
#pragma once

#include <cstdint>

namespace attn {
namespace unicode {

inline constexpr const char* kNormUnicodeVersion = "${process.versions.unicode}";

// Character properties used by the BERT normalizer and pre-tokenizer and by added-token matching. A code point
// can have several (a nonspacing mark is also a word character).
enum NormFlag : uint8_t {
  kSpace = 1,    // White_Space (Rust char::is_whitespace, regex \\s)
  kControl = 2,  // general category Cc, Cf or Co
  kMark = 4,     // general category Mn (nonspacing mark)
  kPunct = 8,    // ASCII punctuation (!-/ :-@ [-\` {-~) or general category P*
  kWord = 16,    // regex \\w: Alphabetic, M*, Nd, Pc, Join_Control
};

struct FlagRange {
  uint32_t first;  // inclusive
  uint32_t last;   // inclusive
  uint8_t flags;   // NormFlag bits
};

// Sorted by first, non-overlapping; code points in none have no flags.
inline constexpr FlagRange kNormFlagRanges[] = {
${rows(ranges.map(([a, b, f]) => `{${hex(a)}, ${hex(b)}, ${flagExpr(f)}}`), 3)}
};

// A code point mapped to pool[offset, offset + length).
struct CharMapping {
  uint32_t cp;
  uint16_t offset;
  uint16_t length;
};

// Full lowercase mappings (sorted by cp; code points not listed map to themselves).
inline constexpr uint32_t kLowercasePool[] = {
${lo.pool}
};
inline constexpr CharMapping kLowercase[] = {
${lo.rows}
};

// Canonical decomposition with nonspacing marks removed (sorted by cp; not listed: the code point itself, or
// nothing when it is Mn; Hangul syllables are decomposed by the algorithm).
inline constexpr uint32_t kStripPool[] = {
${st.pool}
};
inline constexpr CharMapping kStrip[] = {
${st.rows}
};

}  // namespace unicode
}  // namespace attn
`);
