// The head view's pure helpers (web/src/components/lines.ts): head colours readable in both themes and far
// apart, the geometry for short and long texts, which lines are drawn, the links a focused token has, pins and
// head lists as text.
import { describe, expect, it } from 'vitest';
import type { AttentionView } from '../../web/src/engine/protocol';
import {
  MAX_HEIGHT, MIN_WEIGHT, ROW_MAX, contrast, endpointY, headColor, headsText, isLightText, labelEvery, lineStyle, linesOf, parseHeads,
  parsePin, pinText, rowHeight, shownHeads, topLinks, SUMMARY_HEAD, headLabel, summaryView,
} from '../../web/src/components/lines';

const LIGHT_PANEL = '#ffffff';
const DARK_PANEL = '#1b1a23'; // the page's and the widgets' dark panel

/** CIE76 distance of two #rrggbb colours in Lab. */
function deltaE(a: string, b: string): number {
  const lab = (hex: string) => {
    const n = parseInt(hex.slice(1), 16);
    const lin = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
    const [r, g, bl] = [lin((n >> 16) & 255), lin((n >> 8) & 255), lin(n & 255)];
    const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * bl) / 0.95047;
    const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * bl;
    const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * bl) / 1.08883;
    const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
    return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
  };
  const [p, q] = [lab(a), lab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

/** A view of 1 layer, 2 heads, 3 queries × 4 keys with known weights: w[h, i, j] = (h + 1) * 10 + i * 4 + j (/100). */
function view(): AttentionView {
  const w = new Float32Array(2 * 3 * 4);
  for (let h = 0; h < 2; h++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) w[(h * 3 + i) * 4 + j] = ((h + 1) * 10 + i * 4 + j) / 100;
  w[0] = 0.001; // below MIN_WEIGHT: not drawn
  return { name: 'cross', title: 'Cross', rows: ['a', 'b', 'c'], cols: ['w', 'x', 'y', 'z'], layers: 1, heads: 2, weights: [w], masks: [undefined] };
}

describe('head colours', () => {
  it('have a contrast of 3:1 or more against the light and the dark panel (WCAG, for lines)', () => {
    for (let h = 0; h < 16; h++) {
      expect(contrast(headColor(h, false), LIGHT_PANEL)).toBeGreaterThanOrEqual(3);
      expect(contrast(headColor(h, true), DARK_PANEL)).toBeGreaterThanOrEqual(3);
    }
  });

  it('are far apart: the first 4 heads by more than 30 (CIE76), 12 heads by more than 10', () => {
    for (const dark of [false, true])
      for (const [n, min] of [[4, 30], [12, 10]] as const)
        for (let a = 0; a < n; a++)
          for (let b = a + 1; b < n; b++) expect(deltaE(headColor(a, dark), headColor(b, dark)), `${a} ${b} ${dark}`).toBeGreaterThan(min);
  });

  it('are valid colours, the same each time', () => {
    expect(headColor(3, false)).toMatch(/^#[0-9a-f]{6}$/);
    expect(headColor(3, false)).toBe(headColor(3, false));
    expect(headColor(3, true)).not.toBe(headColor(3, false));
  });
});

describe('geometry', () => {
  it('rows are 22 px up to 40 tokens, then thinner so the picture stays within its height', () => {
    expect(rowHeight(5)).toBe(ROW_MAX);
    expect(rowHeight(40)).toBe(ROW_MAX);
    expect(rowHeight(63) * 63).toBeCloseTo(MAX_HEIGHT);
    expect(rowHeight(512) * 512).toBeLessThanOrEqual(MAX_HEIGHT);
    expect(rowHeight(10000)).toBeGreaterThan(1); // never zero
  });

  it('labels are thinned out only when rows are too thin to read', () => {
    expect(labelEvery(22)).toBe(1);
    expect(labelEvery(12.9)).toBe(2);
    expect(labelEvery(rowHeight(512))).toBeGreaterThan(5);
  });

  it('heads meet a row around its centre, in order, within the row', () => {
    const ys = [0, 1, 2, 3].map((s) => endpointY(2, 20, s, 4));
    expect(ys[0]).toBeLessThan(ys[3]);
    expect((ys[0] + ys[3]) / 2).toBeCloseTo(50);
    for (const y of ys) expect(Math.abs(y - 50)).toBeLessThanOrEqual(5);
    expect(endpointY(2, 20, 0, 1)).toBe(50);
  });

  it('a heavier line is wider, with the same opacity rule in and out of focus', () => {
    expect(lineStyle(0.9, false).width).toBeGreaterThan(lineStyle(0.1, false).width);
    expect(lineStyle(0.5, true).opacity).toBeGreaterThan(lineStyle(0.5, false).opacity);
    expect(lineStyle(0, false).opacity).toBe(0);
    expect(lineStyle(2, false).width).toBe(lineStyle(1, false).width); // clamped
  });
});

describe('lines', () => {
  it('are every weight of the chosen heads above the threshold, by head, query and key', () => {
    const v = view();
    const all = linesOf(v, 0, [0, 1]);
    expect(all).toHaveLength(2 * 3 * 4 - 1);
    expect(all.every((l) => l.weight >= MIN_WEIGHT)).toBe(true);
    expect(all[0]).toMatchObject({ head: 0, query: 0, key: 1 });
    expect(all.at(-1)).toMatchObject({ head: 1, query: 2, key: 3 });
    for (const l of all) expect(l.weight).toBe(v.weights[0][(l.head * 3 + l.query) * 4 + l.key]);
  });

  it('with a focus, only that token’s lines: a query’s to every key, a key’s from every query', () => {
    const v = view();
    const q = linesOf(v, 0, [1], { side: 'query', index: 2 });
    expect(q.map((l) => [l.head, l.query, l.key])).toEqual([[1, 2, 0], [1, 2, 1], [1, 2, 2], [1, 2, 3]]);
    const k = linesOf(v, 0, [0, 1], { side: 'key', index: 3 });
    expect(k).toHaveLength(6);
    expect(k.every((l) => l.key === 3)).toBe(true);
  });

  it('the heads shown: the chosen ones the view has, sorted, else all', () => {
    const v = view();
    expect(shownHeads(v, [1, 0, 1])).toEqual([0, 1]);
    expect(shownHeads(v, [5])).toEqual([0, 1]);
    expect(shownHeads(v, undefined)).toEqual([0, 1]);
    expect(shownHeads(v, [1])).toEqual([1]);
  });

  it('top links: a query’s heaviest keys and a key’s heaviest queries, per head', () => {
    const v = view();
    const t = topLinks(v, 0, [0, 1], { side: 'query', index: 1 }, 2);
    expect(t.map((x) => x.head)).toEqual([0, 1]);
    expect(t[0].links.map((l) => l.index)).toEqual([3, 2]);
    expect(t[0].links[0].weight).toBe(v.weights[0][(0 * 3 + 1) * 4 + 3]);
    const k = topLinks(v, 0, [1], { side: 'key', index: 0 }, 3);
    expect(k[0].links.map((l) => l.index)).toEqual([2, 1, 0]);
  });
});

describe('rollout and flow as lines', () => {
  it('are one set of lines, SUMMARY_HEAD, from the [T, T] matrix, in a colour no head has, named in the legend and the SVG', async () => {
    const T = 3;
    const v: AttentionView = { ...view(), rows: ['a', 'b', 'c'], cols: ['a', 'b', 'c'], weights: [new Float32Array(2 * T * T).fill(0.3)] };
    const m = Float32Array.from([1, 0, 0, 0.5, 0.5, 0, 0.2, 0.005, 0.795]);
    const s = summaryView(v, 0, m);
    expect(s.heads).toBe(1);
    expect(v.weights[0]).not.toBe(m); // the view itself is left as it was
    const lines = linesOf(s, 0, [SUMMARY_HEAD]);
    expect(lines.map((l) => [l.head, l.query, l.key, l.weight])).toEqual(
      [[-1, 0, 0, 1], [-1, 1, 0, 0.5], [-1, 1, 1, 0.5], [-1, 2, 0, m[6]], [-1, 2, 2, m[8]]]); // 0.005 is under MIN_WEIGHT
    expect(topLinks(s, 0, [SUMMARY_HEAD], { side: 'query', index: 2 }, 1)[0].links[0]).toEqual({ index: 2, weight: m[8] });
    for (const dark of [false, true]) {
      const c = headColor(SUMMARY_HEAD, dark);
      for (let h = 0; h < 16; h++) expect(c).not.toBe(headColor(h, dark));
      expect(contrast(c, dark ? DARK_PANEL : LIGHT_PANEL)).toBeGreaterThanOrEqual(3);
    }
    expect(headLabel(SUMMARY_HEAD, 'Rollout')).toBe('Rollout');
    expect(headLabel(2)).toBe('Head 3');
    const { toLinesSVG } = await import('../../web/src/export/export');
    const svg = toLinesSVG({ title: 't', rowLabels: s.rows, colLabels: s.cols, rowTitle: 'Queries', colTitle: 'Keys', heads: [SUMMARY_HEAD],
      summary: 'Rollout', lines, focused: false });
    expect(svg).toContain('>Rollout</text>');
    expect(svg.match(/data-head="summary"/g)).toHaveLength(lines.length);
    expect(svg).toContain(`stroke="${headColor(SUMMARY_HEAD, false)}"`);
  });
});

describe('pins and heads as text', () => {
  it('round-trip, 0- or 1-based, and refuse nonsense', () => {
    expect(pinText({ side: 'query', index: 4 }, 1)).toBe('q5');
    expect(parsePin('q5', 1)).toEqual({ side: 'query', index: 4 });
    expect(parsePin('k0', 0)).toEqual({ side: 'key', index: 0 });
    expect(parsePin('k0', 1)).toBeUndefined();
    for (const bad of ['', 'x3', 'q', 'q-1', null, undefined]) expect(parsePin(bad, 0)).toBeUndefined();
    expect(headsText([0, 2], 1)).toBe('1,3');
    expect(parseHeads('3,1,1', 1)).toEqual([0, 2]);
    expect(parseHeads('', 0)).toBeUndefined();
    expect(parseHeads('a,0', 1)).toBeUndefined();
  });
});

describe('theme', () => {
  it('light text means a dark panel', () => {
    expect(isLightText('rgb(236, 235, 243)')).toBe(true);
    expect(isLightText('rgb(29, 29, 36)')).toBe(false);
  });
});

describe('the explorer URL keeps the display, the heads drawn, the pin and the model view’s pictures', () => {
  it('round-trips them, writes nothing for the defaults, and ignores nonsense', async () => {
    const { queryFromState, stateFromQuery } = await import('../../web/src/components/url-state');
    const { Store } = await import('../../web/src/state/store');
    const store = new Store(stateFromQuery('?m=dates&view=cross&display=lines&lh=2,0&pin=k7&pictures=lines', 'http://localhost/'));
    expect(store.state).toMatchObject({ display: 'lines', lineHeads: [0, 2], pin: { side: 'key', index: 7 }, pictures: 'lines' });
    const q = queryFromState(store.state);
    expect(q).toMatch(/display=lines&lh=0%2C2&pin=k7&pictures=lines/);
    expect(stateFromQuery(`?${q}`, 'http://localhost/')).toMatchObject({ display: 'lines', lineHeads: [0, 2], pin: { side: 'key', index: 7 } });
    const plain = new Store(stateFromQuery('?m=lm', 'http://localhost/'));
    expect(queryFromState(plain.state)).not.toMatch(/display|lh=|pin=|pictures/);
    expect(stateFromQuery('?display=3d&lh=x&pin=z9&pictures=oil', 'http://localhost/')).toMatchObject({
      display: 'heatmap', lineHeads: undefined, pin: undefined, pictures: 'heatmap' });
    // A model-view click: that layer and head, and the lines draw that head alone; another view drops the pin.
    store.openHead(1, 3);
    expect(store.state).toMatchObject({ layer: 1, head: 3, lineHeads: [3] });
    store.setView('encoder');
    expect(store.state.pin).toBeUndefined();
  });
});

describe('painting', () => {
  it('strokes the lines of one head and about one weight together, lighter before heavier, every line once', async () => {
    const { paintLines } = await import('../../web/src/components/lines');
    const v = view();
    const lines = linesOf(v, 0, [0, 1]);
    const strokes: { color: string; width: number; alpha: number; segments: number }[] = [];
    let segments = 0;
    const ctx = {
      strokeStyle: '' as string, lineWidth: 0, globalAlpha: 1, lineCap: 'butt' as CanvasLineCap,
      beginPath() { segments = 0; }, moveTo() { segments++; }, lineTo() {},
      stroke() { strokes.push({ color: String(this.strokeStyle), width: this.lineWidth, alpha: this.globalAlpha, segments }); },
    };
    paintLines(ctx, lines, [0, 1], { x0: 0, x1: 100, y0: 0, rowH: 20 }, { dark: false, focused: false });
    expect(strokes.reduce((n, s) => n + s.segments, 0)).toBe(lines.length);
    for (let i = 1; i < strokes.length; i++) expect(strokes[i].width).toBeGreaterThanOrEqual(strokes[i - 1].width);
    expect(new Set(strokes.map((s) => s.color))).toEqual(new Set([headColor(0, false), headColor(1, false)]));
    expect(strokes.length).toBeLessThan(lines.length); // grouped
    expect(ctx.globalAlpha).toBe(1);
  });
});

describe('SVG export of the lines', () => {
  it('writes one <line> per line with its exact weight, the heads’ legend, and escapes the labels', async () => {
    const { toLinesSVG } = await import('../../web/src/export/export');
    const v = view();
    const lines = linesOf(v, 0, [1], { side: 'query', index: 1 });
    const svg = toLinesSVG({ title: 'Cross <1>', rowLabels: ['a', '<img src=x>', 'c'], colLabels: v.cols, rowTitle: 'Outputs',
      colTitle: 'Inputs', heads: [1], lines, focused: true });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const drawn = [...svg.matchAll(/<line [^>]*data-head="(\d+)" data-query="(\d+)" data-key="(\d+)" data-weight="([^"]+)"/g)];
    expect(drawn.map((m) => [Number(m[1]) - 1, Number(m[2]), Number(m[3]), Number(m[4])]))
      .toEqual(lines.map((l) => [l.head, l.query, l.key, l.weight]));
    expect(svg).toContain(`stroke="${headColor(1, false)}"`);
    expect(svg).toContain('>Head 2</text>');
    expect(svg).toContain('&lt;img src=x&gt;');
    expect(svg).not.toContain('<img');
    expect(svg).toContain('Cross &lt;1&gt;');
  });
});
