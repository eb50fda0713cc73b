// Exports of matrices: exact numbers, NaN and Infinity kept, labels quoted or escaped, formulas defused.
import { describe, expect, it } from 'vitest';
import { fileName, numberText, toCSV, toJSON, toSVG, type MatrixExport } from '../../web/src/export/export';

const m: MatrixExport = {
  title: 'Layer 1, head 2: scores',
  matrix: Float32Array.from([0.1, -Infinity, NaN, 1 / 3, Infinity, 0]),
  rows: 2,
  cols: 3,
  rowLabels: ['the', '=SUM(A1)'],
  colLabels: ['a,b', 'say "hi"', '<img src=x>'],
  rowTitle: 'Query',
  colTitle: 'Key',
  mask: Float32Array.from([0, -Infinity, 0, 0, 0, 0]),
};

describe('matrix export', () => {
  it('writes numbers exactly and keeps NaN and infinities', () => {
    expect(numberText(Math.fround(1 / 3))).toBe(String(Math.fround(1 / 3)));
    expect(numberText(NaN)).toBe('NaN');
    expect(numberText(-Infinity)).toBe('-Infinity');
  });

  it('CSV: header of keys, a row per query, quoted labels, defused formulas', () => {
    const lines = toCSV(m).trimEnd().split('\r\n');
    expect(lines[0]).toBe('Query \\ Key,"a,b","say ""hi""",<img src=x>');
    expect(lines[1]).toBe(`the,${Math.fround(0.1)},-Infinity,NaN`);
    expect(lines[2]).toBe(`"'=SUM(A1)",${Math.fround(1 / 3)},Infinity,0`);
    // Every number parses back to the same float32.
    expect(Math.fround(Number(lines[1].split(',')[1]))).toBe(m.matrix[0]);
  });

  it('JSON: non-finite values as strings, never null, and the mask', () => {
    const j = JSON.parse(toJSON(m));
    expect(j.values).toEqual([
      [Math.fround(0.1), '-Infinity', 'NaN'],
      [Math.fround(1 / 3), 'Infinity', 0],
    ]);
    expect(j.masked).toEqual([
      [false, true, false],
      [false, false, false],
    ]);
    expect(j.rowLabels).toEqual(['the', '=SUM(A1)']);
    expect(toJSON(m)).not.toContain('null');
  });

  it('SVG: one rect per cell, hatched masked cells, escaped labels', () => {
    const svg = toSVG(m);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect((svg.match(/<rect x=/g) ?? []).length).toBe(6);
    expect(svg).toContain('fill="url(#hatch)"');
    expect(svg).toContain('&lt;img src=x&gt;');
    expect(svg).not.toContain('<img');
  });

  it('file names are safe', () => {
    expect(fileName('Layer 1, head 2: scores', 'csv')).toBe('layer-1-head-2-scores.csv');
    expect(fileName('../../etc/passwd', 'png')).toBe('etc-passwd.png');
    expect(fileName('', 'svg')).toBe('matrix.svg');
  });
});
