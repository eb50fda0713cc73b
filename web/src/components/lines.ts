// The head view's picture (bertviz's "head view"), as plain functions: which lines to draw, where, in which colour
// and how thick. <attn-lines> draws them on its canvas, <attn-model-view> in its thumbnails, and the SVG export
// (export/export.ts) writes the same lines as SVG, so the three always agree.
//
// The picture: the tokens twice, in two columns. Left: each token as a query (the one attending; for
// cross-attention, the output being written). Right: each token as a key (attended to; the input read). A line
// from query i to key j has the weight w[head, i, j]: its width grows with the weight (readable without colour)
// and so does its opacity. Each head has a colour; several heads are drawn at once, each line set a little apart
// from the other heads' so that they do not hide each other.
import type { AttentionView } from '../engine/protocol';

export type Side = 'query' | 'key';

/** A token of one column: the lines of query `index` (side "query") or into key `index` (side "key"). */
export interface Focus {
  side: Side;
  index: number;
}

/** One line of the picture: query → key, with its head and exact weight (the engine's float32). */
export interface Line {
  head: number;
  query: number;
  key: number;
  weight: number;
}

/** Lines lighter than this are not drawn (they would be invisible, and there are rows × cols × heads of them). */
export const MIN_WEIGHT = 0.01;

// -------------------------------------------------------------------------------------------------- colours
const GOLDEN_ANGLE = 137.508;
const FIRST_HUE = 255; // head 1 blue, head 2 orange, head 3 green, …

/**
 * Head h's colour. Hues a golden angle apart (any first few heads are far apart in hue, however many there are),
 * at one chroma in CIE LCh and one lightness per eight heads, so that no head stands out: darker lines on a light
 * background, lighter lines on a dark one, each with a contrast of 3:1 or more against it. Heads 9 to 16 are a
 * little stronger than heads 1 to 8, whose hues theirs come close to (tests/web/lines.test.ts).
 */
export function headColor(head: number, dark: boolean): string {
  if (head === SUMMARY_HEAD) return dark ? '#ebe8f6' : '#25222f';
  const hue = (FIRST_HUE + head * GOLDEN_ANGLE) % 360;
  const second = Math.floor(head / 8) % 2 === 1;
  return lchToHex(dark ? (second ? 84 : 72) : second ? 40 : 50, dark ? 45 : 55, hue);
}

/** CIE LCh(ab) (D65) → #rrggbb, clipped to sRGB. */
export function lchToHex(l: number, c: number, hueDeg: number): string {
  const h = (hueDeg * Math.PI) / 180;
  const a = c * Math.cos(h);
  const b = c * Math.sin(h);
  const fy = (l + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const inv = (t: number) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));
  const [x, y, z] = [0.95047 * inv(fx), inv(fy), 1.08883 * inv(fz)];
  const lin = [
    3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
    -0.969266 * x + 1.8760108 * y + 0.041556 * z,
    0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
  ];
  const gamma = (u: number) => (u <= 0.0031308 ? 12.92 * u : 1.055 * u ** (1 / 2.4) - 0.055);
  return `#${lin.map((u) => Math.round(Math.max(0, Math.min(1, gamma(u))) * 255).toString(16).padStart(2, '0')).join('')}`;
}

/** Whether a CSS text colour ("rgb(236, 235, 243)") is light, i.e. the panel behind it is dark. */
export function isLightText(color: string): boolean {
  const [r, g, b] = (color.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 140;
}

/** WCAG relative luminance of #rrggbb. */
export function luminance(hex: string): number {
  const n = parseInt(hex.slice(1), 16);
  const lin = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin((n >> 16) & 255) + 0.7152 * lin((n >> 8) & 255) + 0.0722 * lin(n & 255);
}

/** WCAG contrast ratio of two #rrggbb colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// ------------------------------------------------------------------------------------------ rollout and flow
/**
 * The "head" of rollout's or flow's lines (engine/rollout.ts): one matrix that every head went into, drawn instead of
 * the heads in a colour of its own (the text's colour: no head has it).
 */
export const SUMMARY_HEAD = -1;

/** A view whose layer `layer` is one "head", SUMMARY_HEAD: rollout's or flow's [T, T] matrix after that layer. */
export function summaryView(v: AttentionView, layer: number, matrix: Float32Array): AttentionView {
  const weights = v.weights.slice();
  weights[layer] = matrix;
  return { ...v, heads: 1, weights };
}

/** Head h's name in legends: "Head 3", or for SUMMARY_HEAD the summary's ("Rollout"). */
export function headLabel(head: number, summary = 'Every head'): string {
  return head === SUMMARY_HEAD ? summary : `Head ${head + 1}`;
}

/** Where head h's [rows, cols] block starts in a layer's weights (a summary view has one). */
const block = (head: number) => (head === SUMMARY_HEAD ? 0 : head);

// ------------------------------------------------------------------------------------------------- geometry
/** A row's height for short texts, and the tallest the picture grows before its rows get thinner. */
export const ROW_MAX = 22;
export const MAX_HEIGHT = 880;
const ROW_MIN = 1.5;
/** Labels closer than this (px) are thinned out: every k-th is shown (and always the one in focus). */
const LABEL_SPACING = 13;

/** The height of one token's row when the longer column has `n` tokens: 22 px up to 40 tokens, then thinner. */
export function rowHeight(n: number): number {
  return Math.max(ROW_MIN, Math.min(ROW_MAX, MAX_HEIGHT / Math.max(1, n)));
}

/** Show every k-th label at this row height. */
export function labelEvery(rowH: number): number {
  return Math.max(1, Math.ceil(LABEL_SPACING / rowH));
}

/**
 * Where head number `slot` of `slots` shown heads meets token `index`'s row: the row's centre, the heads spread a
 * little around it (at most 2 px apart, within half the row).
 */
export function endpointY(index: number, rowH: number, slot: number, slots: number): number {
  const spread = slots > 1 ? Math.min(2, (rowH * 0.5) / (slots - 1)) : 0;
  return (index + 0.5) * rowH + (slot - (slots - 1) / 2) * spread;
}

/** A line's width (px) and opacity. Width carries the weight; a token's own lines (in focus) are more opaque. */
export function lineStyle(weight: number, focused: boolean, thin = false): { width: number; opacity: number } {
  const w = Math.max(0, Math.min(1, weight));
  if (thin) return { width: 0.4 + 1.6 * w, opacity: Math.min(1, 0.1 + w) };
  return { width: 0.6 + 5.4 * w, opacity: focused ? 0.35 + 0.65 * w : w };
}

// ---------------------------------------------------------------------------------------------------- lines
/** The heads to draw: those chosen that the view has, or every head when none is chosen. */
export function shownHeads(v: AttentionView, chosen?: readonly number[]): number[] {
  const ok = (chosen ?? []).filter((h) => Number.isInteger(h) && h >= 0 && h < v.heads);
  return ok.length ? [...new Set(ok)].sort((a, b) => a - b) : Array.from({ length: v.heads }, (_, h) => h);
}

/**
 * The lines of layer `layer` for `heads`, only the focused token's if there is one, lighter ones left out; by head,
 * then query, then key.
 */
export function linesOf(v: AttentionView, layer: number, heads: readonly number[], focus?: Focus, min = MIN_WEIGHT): Line[] {
  const R = v.rows.length;
  const C = v.cols.length;
  const w = v.weights[layer];
  const out: Line[] = [];
  if (!w) return out;
  const [q0, q1] = focus?.side === 'query' ? [focus.index, focus.index + 1] : [0, R];
  const [k0, k1] = focus?.side === 'key' ? [focus.index, focus.index + 1] : [0, C];
  for (const head of heads)
    for (let query = q0; query < Math.min(q1, R); query++)
      for (let key = k0; key < Math.min(k1, C); key++) {
        const weight = w[(block(head) * R + query) * C + key];
        if (weight >= min) out.push({ head, query, key, weight });
      }
  return out;
}

/**
 * For a focused token, per head, the tokens of the other column it is joined to most strongly: a query's top keys
 * (what it reads) or a key's top queries (who reads it), heaviest first.
 */
export function topLinks(v: AttentionView, layer: number, heads: readonly number[], focus: Focus, k = 3) {
  const R = v.rows.length;
  const C = v.cols.length;
  const w = v.weights[layer];
  return heads.map((head) => {
    const n = focus.side === 'query' ? C : R;
    const links = Array.from({ length: n }, (_, j) => ({
      index: j,
      weight: focus.side === 'query' ? w[(block(head) * R + focus.index) * C + j] : w[(block(head) * R + j) * C + focus.index],
    }));
    links.sort((a, b) => b.weight - a.weight || a.index - b.index);
    return { head, links: links.slice(0, k) };
  });
}

/** A pin as text: "q5" (query 5) or "k2" (key 2), counting from `base` (the explorer's URL 0, attributes 1). */
export function pinText(f: Focus, base: number): string {
  return `${f.side === 'query' ? 'q' : 'k'}${f.index + base}`;
}

/** The pin of "q5" / "k2" (counting from `base`), or undefined. */
export function parsePin(text: string | null | undefined, base: number): Focus | undefined {
  const m = /^([qk])(\d{1,5})$/.exec((text ?? '').trim());
  if (!m || Number(m[2]) < base) return undefined;
  return { side: m[1] === 'q' ? 'query' : 'key', index: Number(m[2]) - base };
}

/** Heads as text, "1,3" (counting from `base`), and back; "" = every head. */
export function headsText(heads: readonly number[] | undefined, base: number): string {
  return (heads ?? []).map((h) => h + base).join(',');
}

export function parseHeads(text: string | null | undefined, base: number): number[] | undefined {
  const hs = (text ?? '').split(',').filter((t) => /^\s*\d+\s*$/.test(t)).map((t) => Number(t) - base).filter((h) => Number.isSafeInteger(h) && h >= 0);
  return hs.length ? [...new Set(hs)].sort((a, b) => a - b) : undefined;
}

// ------------------------------------------------------------------------------------------------- painting
/** Where the two columns' line ends are, in the drawing's units. */
export interface LinesFrame {
  x0: number; // the queries' ends
  x1: number; // the keys' ends
  y0: number;
  rowH: number;
}

/** The minimum of a 2D canvas context that painting lines needs. */
type LineContext = Pick<CanvasRenderingContext2D, 'beginPath' | 'moveTo' | 'lineTo' | 'stroke'> & {
  strokeStyle: CanvasRenderingContext2D['strokeStyle'];
  lineWidth: number;
  globalAlpha: number;
  lineCap: CanvasLineCap;
};

/** Lines are painted in this many steps of weight: the lines of one head and one step share one stroke. */
const PAINT_STEPS = 32;

/**
 * Paints `lines` into a frame. `heads` are the heads shown, in order: a head's place in it sets its lines' small
 * offset. Lines of one head and about the same weight (one of PAINT_STEPS steps) are stroked together, in one path,
 * lightest steps first: a sentence of 100 tokens with 16 heads has 100,000 lines, and a stroke each took a second.
 * The one painter of line pictures on a canvas.
 */
export function paintLines(ctx: LineContext, lines: readonly Line[], heads: readonly number[], frame: LinesFrame,
  opts: { dark: boolean; focused: boolean; thin?: boolean }) {
  const slot = new Map(heads.map((h, i) => [h, i]));
  const groups: Line[][] = Array.from({ length: PAINT_STEPS * heads.length }, () => []); // [step][slot]
  for (const l of lines) {
    const step = Math.min(PAINT_STEPS - 1, Math.floor(Math.max(0, l.weight) * PAINT_STEPS));
    groups[step * heads.length + (slot.get(l.head) ?? 0)].push(l);
  }
  ctx.lineCap = 'round';
  groups.forEach((group, key) => {
    if (!group.length) return;
    const s = key % heads.length;
    const { width, opacity } = lineStyle((Math.floor(key / heads.length) + 0.5) / PAINT_STEPS, opts.focused, opts.thin);
    ctx.strokeStyle = headColor(heads[s], opts.dark);
    ctx.globalAlpha = opacity;
    ctx.lineWidth = width;
    ctx.beginPath();
    for (const l of group) {
      ctx.moveTo(frame.x0, frame.y0 + endpointY(l.query, frame.rowH, s, heads.length));
      ctx.lineTo(frame.x1, frame.y0 + endpointY(l.key, frame.rowH, s, heads.length));
    }
    ctx.stroke();
  });
  ctx.globalAlpha = 1;
}
