// Exports of any matrix the page draws: CSV and JSON of its numbers, SVG and PNG of its picture.
//
// Numbers are written exactly (shortest round-trip form). NaN and ±Infinity are never dropped or turned into
// null: CSV writes NaN / Infinity / -Infinity, JSON writes them as the strings "NaN", "Infinity", "-Infinity".
// Labels are text typed by users: CSV quotes them and defuses spreadsheet formulas (a leading = + - @ gets a
// leading '), SVG escapes them.
import { colormapLut } from '../components/colormaps';
import { SUMMARY_HEAD, endpointY, headColor, headLabel, labelEvery, lineStyle, rowHeight, type Line } from '../components/lines';

export interface MatrixExport {
  title: string; // e.g. "Layer 1, head 2: attention weights"
  matrix: ArrayLike<number>; // rows * cols, row-major
  rows: number;
  cols: number;
  rowLabels: string[];
  colLabels: string[];
  rowTitle?: string; // "Query"
  colTitle?: string; // "Key"
  mask?: ArrayLike<number>; // additive: -Infinity = masked
  colormap?: string;
  domain?: [number, number];
}

/** A number as text, exactly: shortest round-trip decimal, or NaN / Infinity / -Infinity. */
export function numberText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return String(v);
}

function csvField(s: string): string {
  let t = s;
  if (/^[=+\-@\t\r]/.test(t)) t = `'${t}`;
  return /[",\n\r']/.test(t) || t !== s ? `"${t.replace(/"/g, '""')}"` : t;
}

/** CSV: a header of column labels, then one line per row starting with its label. */
export function toCSV(m: MatrixExport): string {
  const corner = `${m.rowTitle ?? 'row'} \\ ${m.colTitle ?? 'col'}`;
  const lines = [[corner, ...m.colLabels.slice(0, m.cols)].map(csvField).join(',')];
  for (let i = 0; i < m.rows; i++) {
    const cells = [csvField(m.rowLabels[i] ?? String(i))];
    for (let j = 0; j < m.cols; j++) cells.push(numberText(m.matrix[i * m.cols + j]));
    lines.push(cells.join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** JSON: {title, rowLabels, colLabels, values: [[...]], masked?}; non-finite values as strings. */
export function toJSON(m: MatrixExport): string {
  const values: (number | string)[][] = [];
  for (let i = 0; i < m.rows; i++) {
    const row: (number | string)[] = [];
    for (let j = 0; j < m.cols; j++) {
      const v = m.matrix[i * m.cols + j];
      row.push(Number.isFinite(v) ? v : numberText(v));
    }
    values.push(row);
  }
  const out: Record<string, unknown> = {
    title: m.title,
    rowTitle: m.rowTitle ?? 'row',
    colTitle: m.colTitle ?? 'col',
    rowLabels: m.rowLabels.slice(0, m.rows),
    colLabels: m.colLabels.slice(0, m.cols),
    values,
  };
  if (m.mask) {
    const masked: boolean[][] = [];
    for (let i = 0; i < m.rows; i++) masked.push(Array.from({ length: m.cols }, (_, j) => m.mask![i * m.cols + j] === -Infinity));
    out.masked = masked;
  }
  return `${JSON.stringify(out, null, 1)}\n`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function cellColor(m: MatrixExport, v: number, lut: Uint8ClampedArray): string {
  if (Number.isNaN(v)) return 'rgb(220,38,38)';
  const [lo, hi] = m.domain ?? [0, 1];
  const k = Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo || 1)) * 255))) * 3;
  return `rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]})`;
}

const LABEL_W = 90;
const TOP = 80;

function cellSize(m: MatrixExport) {
  return Math.max(4, Math.min(36, Math.floor(720 / Math.max(m.rows, m.cols, 1))));
}

/** A standalone SVG: the cells (masked ones grey and hatched), both axes' labels and the title. */
export function toSVG(m: MatrixExport): string {
  const c = cellSize(m);
  const W = LABEL_W + m.cols * c + 20;
  const H = TOP + m.rows * c + 20;
  const lut = colormapLut(m.colormap ?? 'viridis');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif">`,
    `<title>${escapeXml(m.title)}</title>`,
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="6" height="6" fill="#d9d9de"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9a9aa4" stroke-width="2"/></pattern></defs>',
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="13" font-weight="600">${escapeXml(m.title)}</text>`,
  ];
  const fs = Math.max(6, Math.min(11, c * 0.8));
  for (let j = 0; j < m.cols; j++) {
    const x = LABEL_W + j * c + c / 2;
    parts.push(`<text x="${x}" y="${TOP - 6}" font-size="${fs}" transform="rotate(-60 ${x} ${TOP - 6})">${escapeXml(m.colLabels[j] ?? '')}</text>`);
  }
  for (let i = 0; i < m.rows; i++) {
    const y = TOP + i * c + c / 2;
    parts.push(`<text x="${LABEL_W - 6}" y="${y}" font-size="${fs}" text-anchor="end" dominant-baseline="middle">${escapeXml(m.rowLabels[i] ?? '')}</text>`);
    for (let j = 0; j < m.cols; j++) {
      const k = i * m.cols + j;
      const masked = m.mask?.[k] === -Infinity;
      const fill = masked ? 'url(#hatch)' : cellColor(m, m.matrix[k], lut);
      parts.push(`<rect x="${LABEL_W + j * c}" y="${TOP + i * c}" width="${c}" height="${c}" fill="${fill}"><title>${escapeXml(
        `${m.rowLabels[i] ?? i} → ${m.colLabels[j] ?? j}: ${masked ? 'masked' : numberText(m.matrix[k])}`,
      )}</title></rect>`);
    }
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The same picture drawn on a canvas (no SVG-to-image step, which a strict CSP would block). */
export function drawPNG(m: MatrixExport, scale = 2): HTMLCanvasElement {
  const c = cellSize(m);
  const W = LABEL_W + m.cols * c + 20;
  const H = TOP + m.rows * c + 20;
  const canvas = document.createElement('canvas');
  canvas.width = W * scale;
  canvas.height = H * scale;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#111';
  ctx.font = '600 13px system-ui, sans-serif';
  ctx.fillText(m.title, 8, 18);
  const lut = colormapLut(m.colormap ?? 'viridis');
  const fs = Math.max(6, Math.min(11, c * 0.8));
  ctx.font = `${fs}px system-ui, sans-serif`;
  for (let j = 0; j < m.cols; j++) {
    ctx.save();
    ctx.translate(LABEL_W + j * c + c / 2, TOP - 6);
    ctx.rotate(-Math.PI / 3);
    ctx.fillText(m.colLabels[j] ?? '', 0, 0);
    ctx.restore();
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i < m.rows; i++) {
    ctx.fillStyle = '#111';
    ctx.fillText(m.rowLabels[i] ?? '', LABEL_W - 6, TOP + i * c + c / 2);
    for (let j = 0; j < m.cols; j++) {
      const k = i * m.cols + j;
      const masked = m.mask?.[k] === -Infinity;
      ctx.fillStyle = masked ? '#d9d9de' : cellColor(m, m.matrix[k], lut);
      ctx.fillRect(LABEL_W + j * c, TOP + i * c, c, c);
      if (masked && c >= 5) {
        ctx.strokeStyle = '#9a9aa4';
        ctx.beginPath();
        ctx.moveTo(LABEL_W + j * c, TOP + (i + 1) * c);
        ctx.lineTo(LABEL_W + (j + 1) * c, TOP + i * c);
        ctx.stroke();
      }
    }
  }
  return canvas;
}

/** A line picture (the head view, components/lines.ts) to export: its two columns of tokens and the lines drawn. */
export interface LinesExport {
  title: string;
  rowLabels: string[]; // the left column: queries
  colLabels: string[]; // the right column: keys
  rowTitle: string; // the left column's heading, e.g. "Queries (attending)"
  colTitle: string;
  heads: number[]; // the heads shown, in order (SUMMARY_HEAD: rollout or flow)
  summary?: string; // the name of SUMMARY_HEAD's lines, "Rollout" or "Flow"
  lines: Line[]; // as drawn (lines.ts linesOf)
  focused: boolean; // the lines of one token only
}

const LINES_W = 360;

/**
 * A standalone SVG of the line picture, as the page draws it on a light background: a legend of the heads, the
 * two columns of tokens, and one <line> per line drawn, with its head, query, key and exact weight as data-*
 * attributes and a <title>.
 */
export function toLinesSVG(p: LinesExport): string {
  const n = Math.max(p.rowLabels.length, p.colLabels.length, 1);
  const rowH = rowHeight(n);
  const every = labelEvery(rowH);
  const fs = Math.max(6, Math.min(12, rowH * 0.75));
  const labelW = (labels: string[]) => Math.min(170, 14 + 6.8 * Math.max(4, ...labels.map((l) => Array.from(l).length)));
  const lw = labelW(p.rowLabels);
  const x0 = lw + 10;
  const x1 = x0 + LINES_W;
  const W = Math.round(x1 + 10 + labelW(p.colLabels));
  const perRow = Math.max(1, Math.floor((W - 16) / 64));
  const top = 44 + Math.ceil(p.heads.length / perRow) * 18 + 18;
  const H = Math.round(top + n * rowH + 16);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif">`,
    `<title>${escapeXml(p.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="13" font-weight="600">${escapeXml(p.title)}</text>`,
  ];
  p.heads.forEach((h, i) => {
    const x = 8 + (i % perRow) * 64;
    const y = 34 + Math.floor(i / perRow) * 18;
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" rx="2" fill="${headColor(h, false)}"/>` +
      `<text x="${x + 16}" y="${y + 10}" font-size="11">${escapeXml(headLabel(h, p.summary))}</text>`);
  });
  parts.push(`<text x="${lw}" y="${top - 8}" font-size="11" fill="#555" text-anchor="end">${escapeXml(p.rowTitle)}</text>`,
    `<text x="${x1 + 10}" y="${top - 8}" font-size="11" fill="#555">${escapeXml(p.colTitle)}</text>`);
  const label = (labels: string[], x: number, anchor: string) => labels.forEach((t, i) => {
    if (i % every === 0) parts.push(`<text x="${x}" y="${(top + (i + 0.5) * rowH).toFixed(2)}" font-size="${fs.toFixed(1)}" text-anchor="${anchor}" dominant-baseline="middle">${escapeXml(t)}</text>`);
  });
  label(p.rowLabels, lw, 'end');
  label(p.colLabels, x1 + 10, 'start');
  const slot = new Map(p.heads.map((h, i) => [h, i]));
  for (const l of p.lines) {
    const s = slot.get(l.head) ?? 0;
    const { width, opacity } = lineStyle(l.weight, p.focused);
    const y0 = top + endpointY(l.query, rowH, s, p.heads.length);
    const y1 = top + endpointY(l.key, rowH, s, p.heads.length);
    parts.push(`<line x1="${x0}" y1="${y0.toFixed(2)}" x2="${x1}" y2="${y1.toFixed(2)}" stroke="${headColor(l.head, false)}" ` +
      `stroke-width="${width.toFixed(2)}" stroke-opacity="${opacity.toFixed(3)}" stroke-linecap="round" data-head="${l.head === SUMMARY_HEAD ? 'summary' : l.head + 1}" ` +
      `data-query="${l.query}" data-key="${l.key}" data-weight="${numberText(l.weight)}"><title>${escapeXml(
        `${headLabel(l.head, p.summary)}: ${p.rowLabels[l.query] ?? l.query} → ${p.colLabels[l.key] ?? l.key}: ${numberText(l.weight)}`)}</title></line>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** A safe file name from a title: "Layer 1, head 2" -> "layer-1-head-2". */
export function fileName(title: string, ext: string): string {
  const base = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'matrix';
  return `${base}.${ext}`;
}

/** Saves a file through the browser's download. */
export function download(name: string, data: Blob | string, type = 'text/plain') {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Exports a matrix in one of the four formats, as a download. */
export async function exportMatrix(m: MatrixExport, format: 'png' | 'svg' | 'csv' | 'json') {
  if (format === 'csv') return download(fileName(m.title, 'csv'), toCSV(m), 'text/csv');
  if (format === 'json') return download(fileName(m.title, 'json'), toJSON(m), 'application/json');
  if (format === 'svg') return download(fileName(m.title, 'svg'), toSVG(m), 'image/svg+xml');
  const canvas = drawPNG(m);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser could not encode the PNG');
  download(fileName(m.title, 'png'), blob);
}
