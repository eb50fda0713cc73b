// The builders behind the displays' exports (export/export.ts): tables with text columns (the ablation's outcome),
// matrices stacked into one (the model view's every layer × head), and the model view's line pictures as SVG.
import { describe, expect, it } from 'vitest';
import { stackExports, toCSV, toJSON, toModelLinesSVG, type MatrixExport } from '../../web/src/export/export';
import type { Line } from '../../web/src/components/lines';

const head = (k: number): MatrixExport => ({
  title: `head ${k}`, matrix: Float32Array.from([k, k + 0.5, NaN, k / 3]), rows: 2, cols: 2, rowLabels: ['a', 'b'], colLabels: ['a', 'b'],
  rowTitle: 'query', colTitle: 'key', mask: Float32Array.from([0, -Infinity, 0, 0]), domain: [0, 1],
});

describe('display exports', () => {
  it('a table: text columns between the row label and the numbers, in CSV and JSON', () => {
    const t: MatrixExport = {
      title: 'The next token', matrix: [0.5, 0.25, 0.125, 1 / 3], rows: 2, cols: 2, rowLabels: ['1', '2'], colLabels: ['P, every head', 'P, without 1.2'],
      rowTitle: 'rank', colTitle: 'value', textColumns: [{ title: 'token', values: [' York', '=cmd'] }], formats: ['csv', 'json'],
    };
    expect(toCSV(t).split('\r\n')).toEqual(['rank \\ value,token,"P, every head","P, without 1.2"', '1, York,0.5,0.25', `2,"'=cmd",0.125,${1 / 3}`, '']);
    const j = JSON.parse(toJSON(t));
    expect(j.textColumns).toEqual([{ title: 'token', values: [' York', '=cmd'] }]);
    expect(j.values).toEqual([[0.5, 0.25], [0.125, 1 / 3]]);
  });

  it('stacked matrices: rows after rows, labelled by part, masks and NaN kept, CSV and JSON only', () => {
    const s = stackExports('every head', [{ name: 'layer 1, head 1', m: head(1) }, { name: 'layer 1, head 2', m: head(2) }], 'layer, head');
    expect([s.rows, s.cols, s.formats]).toEqual([4, 2, ['csv', 'json']]);
    expect(s.rowLabels).toEqual(['layer 1, head 1 · a', 'layer 1, head 1 · b', 'layer 1, head 2 · a', 'layer 1, head 2 · b']);
    const j = JSON.parse(toJSON(s));
    expect(j.rowTitle).toBe('layer, head · query');
    expect(j.values).toEqual([[1, 1.5], ['NaN', Math.fround(1 / 3)], [2, 2.5], ['NaN', Math.fround(2 / 3)]]);
    expect(j.masked.flat()).toEqual([false, true, false, false, false, true, false, false]);
  });

  it('the model view as SVG: a framed picture per layer and head, each line with its layer, head, tokens and exact weight', () => {
    const lines = (l: number, h: number): Line[] => [{ head: h, query: 1, key: 0, weight: Math.fround(0.1 * (l + h + 1)) }];
    const svg = toModelLinesSVG({ title: 'Self <attention>', subtitle: 's', rowLabels: ['a', '<b>'], colLabels: ['a', '<b>'], layers: 2, heads: 3, lines });
    expect(svg).toContain('Self &lt;attention&gt;');
    expect(svg).not.toContain('<b>');
    expect(svg.match(/<g data-layer=/g)?.length).toBe(6);
    const found = [...svg.matchAll(/<line [^>]*data-layer="(\d)" data-head="(\d)" data-query="(\d)" data-key="(\d)" data-weight="([^"]+)"/g)]
      .map((m) => m.slice(1).map(Number));
    expect(found).toEqual([[1, 1, 1, 0, Math.fround(0.1)], [1, 2, 1, 0, Math.fround(0.2)], [1, 3, 1, 0, Math.fround(0.3)],
      [2, 1, 1, 0, Math.fround(0.2)], [2, 2, 1, 0, Math.fround(0.3)], [2, 3, 1, 0, Math.fround(0.4)]]);
    expect(svg).toContain('<title>Layer 2, head 3: &lt;b&gt; → a: ');
  });
});
