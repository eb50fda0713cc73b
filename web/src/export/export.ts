// Exports of any matrix the page draws: CSV and JSON of its numbers, SVG and PNG of its picture.
//
// Numbers are written exactly (shortest round-trip form). NaN and ±Infinity are never dropped or turned into
// null: CSV writes NaN / Infinity / -Infinity, JSON writes them as the strings "NaN", "Infinity", "-Infinity".
// Labels are text typed by users: CSV quotes them and defuses spreadsheet formulas (a leading = + - @ gets a
// leading '), SVG escapes them.
import { colormapLut } from '../components/colormaps';
import { SUMMARY_HEAD, endpointY, headColor, headLabel, labelEvery, lineStyle, rowHeight, type Line, type LinesFrame } from '../components/lines';

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
  /** Text columns between the row label and the numbers (CSV, JSON): a table of outcomes, e.g. each rank's token. */
  textColumns?: { title: string; values: string[] }[];
  /** The formats offered (default: all four). A table or a stack of matrices is numbers, not a picture: CSV, JSON. */
  formats?: ExportFormat[];
}

export type ExportFormat = 'png' | 'svg' | 'csv' | 'json';
export const EXPORT_FORMATS: ExportFormat[] = ['png', 'svg', 'csv', 'json'];

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
  const texts = m.textColumns ?? [];
  const lines = [[corner, ...texts.map((t) => t.title), ...m.colLabels.slice(0, m.cols)].map(csvField).join(',')];
  for (let i = 0; i < m.rows; i++) {
    const cells = [csvField(m.rowLabels[i] ?? String(i)), ...texts.map((t) => csvField(t.values[i] ?? ''))];
    for (let j = 0; j < m.cols; j++) cells.push(numberText(m.matrix[i * m.cols + j]));
    lines.push(cells.join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** JSON: {title, rowLabels, colLabels, textColumns?, values: [[...]], masked?}; non-finite values as strings. */
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
    ...(m.textColumns ? { textColumns: m.textColumns.map((t) => ({ title: t.title, values: t.values.slice(0, m.rows) })) } : {}),
    values,
  };
  if (m.mask) {
    const masked: boolean[][] = [];
    for (let i = 0; i < m.rows; i++) masked.push(Array.from({ length: m.cols }, (_, j) => m.mask![i * m.cols + j] === -Infinity));
    out.masked = masked;
  }
  return `${JSON.stringify(out, null, 1)}\n`;
}

/**
 * Matrices of one width (the columns of the first) stacked into one, rows after rows, each row labelled
 * "<its part's name> · <its label>": e.g. every layer × head of a model in one CSV or JSON. Offered as CSV and JSON
 * (a picture of the stack would be a strip too thin to read).
 */
export function stackExports(title: string, parts: { name: string; m: MatrixExport }[], partTitle = 'part'): MatrixExport {
  const first = parts[0]?.m;
  const cols = first?.cols ?? 0;
  const rows = parts.reduce((n, p) => n + p.m.rows, 0);
  const matrix = new Float64Array(rows * cols);
  const mask = parts.some((p) => p.m.mask) ? new Float64Array(rows * cols) : undefined;
  const rowLabels: string[] = [];
  for (const { name, m } of parts) {
    const at = rowLabels.length * cols;
    for (let k = 0; k < m.rows * cols; k++) {
      matrix[at + k] = m.matrix[k];
      if (mask && m.mask) mask[at + k] = m.mask[k];
    }
    for (let i = 0; i < m.rows; i++) rowLabels.push(`${name} · ${m.rowLabels[i] ?? i}`);
  }
  return { title, matrix, rows, cols, rowLabels, colLabels: first?.colLabels ?? [], mask, rowTitle: `${partTitle} · ${first?.rowTitle ?? 'row'}`,
    colTitle: first?.colTitle, domain: first?.domain, formats: ['csv', 'json'] };
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
  parts.push(...svgLines(p.lines, p.heads, { x0, x1, y0: top, rowH }, { ...p, name: (h) => headLabel(h, p.summary) }));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * The <line>s of one line picture in `frame` (as lines.ts paintLines lays them out; `heads`: the heads shown, in
 * order), each in its head's colour for a light background, with its head, query, key and exact weight as data-*
 * attributes (and `attrs`) and a <title>: "<head's name>: query → key: weight".
 */
function svgLines(lines: readonly Line[], heads: readonly number[], frame: LinesFrame,
  o: { focused: boolean; thin?: boolean; name: (head: number) => string; rowLabels: string[]; colLabels: string[]; attrs?: string }): string[] {
  const slot = new Map(heads.map((h, i) => [h, i]));
  return lines.map((l) => {
    const s = slot.get(l.head) ?? 0;
    const { width, opacity } = lineStyle(l.weight, o.focused, o.thin);
    const y0 = frame.y0 + endpointY(l.query, frame.rowH, s, heads.length);
    const y1 = frame.y0 + endpointY(l.key, frame.rowH, s, heads.length);
    return `<line x1="${frame.x0}" y1="${y0.toFixed(2)}" x2="${frame.x1}" y2="${y1.toFixed(2)}" stroke="${headColor(l.head, false)}" ` +
      `stroke-width="${width.toFixed(2)}" stroke-opacity="${opacity.toFixed(3)}" stroke-linecap="round"${o.attrs ?? ''} data-head="${l.head === SUMMARY_HEAD ? 'summary' : l.head + 1}" ` +
      `data-query="${l.query}" data-key="${l.key}" data-weight="${numberText(l.weight)}"><title>${escapeXml(
        `${o.name(l.head)}: ${o.rowLabels[l.query] ?? l.query} → ${o.colLabels[l.key] ?? l.key}: ${numberText(l.weight)}`)}</title></line>`;
  });
}

/** The model view's line pictures (components/model-view.ts) to export: every layer × head of one view, small. */
export interface ModelLinesExport {
  title: string;
  subtitle: string;
  rowLabels: string[]; // the queries (the left end of every picture's lines)
  colLabels: string[]; // the keys (the right end)
  layers: number;
  heads: number;
  lines: (layer: number, head: number) => Line[]; // as drawn in the pictures (thin; lighter ones left out)
}

const PICTURE = 96; // a picture's side: the model view's largest
const PICTURE_GAP = 6;
const LAYER_HEAD = 34; // the "L1" column

/**
 * A standalone SVG of the model view's line pictures, on a light background: one row per layer, one column per head
 * (headed L1…, H1…), each picture framed, its lines thin and in its head's colour (as the page's thumbnails), each
 * with its layer, head, query, key and exact weight as data-* attributes and a <title>.
 */
export function toModelLinesSVG(p: ModelLinesExport): string {
  const n = Math.max(p.rowLabels.length, p.colLabels.length, 1);
  const step = PICTURE + PICTURE_GAP;
  const top = 62;
  // Wide enough for the grid and for the title and subtitle (about 7.5 and 6 px a character).
  const W = Math.round(Math.max(LAYER_HEAD + p.heads * step + 10, 16 + 7.5 * p.title.length, 16 + 6 * p.subtitle.length));
  const H = top + p.layers * step + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif">`,
    `<title>${escapeXml(p.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="13" font-weight="600">${escapeXml(p.title)}</text>`,
    `<text x="8" y="34" font-size="11" fill="#555">${escapeXml(p.subtitle)}</text>`,
  ];
  for (let h = 0; h < p.heads; h++)
    parts.push(`<text x="${LAYER_HEAD + h * step + PICTURE / 2}" y="${top - 8}" font-size="11" fill="#555" text-anchor="middle">H${h + 1}</text>`);
  for (let l = 0; l < p.layers; l++) {
    const y = top + l * step;
    parts.push(`<text x="${LAYER_HEAD - 6}" y="${y + PICTURE / 2}" font-size="11" fill="#555" text-anchor="end" dominant-baseline="middle">L${l + 1}</text>`);
    for (let h = 0; h < p.heads; h++) {
      const x = LAYER_HEAD + h * step;
      parts.push(`<g data-layer="${l + 1}" data-head="${h + 1}"><title>Layer ${l + 1}, head ${h + 1}</title>` +
        `<rect x="${x}" y="${y}" width="${PICTURE}" height="${PICTURE}" rx="4" fill="#fff" stroke="#d6d3e4"/>`,
        ...svgLines(p.lines(l, h), [h], { x0: x + 4, x1: x + PICTURE - 4, y0: y, rowH: PICTURE / n },
          { focused: false, thin: true, name: (hd) => `Layer ${l + 1}, head ${hd + 1}`, rowLabels: p.rowLabels, colLabels: p.colLabels,
            attrs: ` data-layer="${l + 1}"` }),
        '</g>');
    }
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
export async function exportMatrix(m: MatrixExport, format: ExportFormat) {
  if (format === 'csv') return download(fileName(m.title, 'csv'), toCSV(m), 'text/csv');
  if (format === 'json') return download(fileName(m.title, 'json'), toJSON(m), 'application/json');
  if (format === 'svg') return download(fileName(m.title, 'svg'), toSVG(m), 'image/svg+xml');
  const canvas = drawPNG(m);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser could not encode the PNG');
  download(fileName(m.title, 'png'), blob);
}
