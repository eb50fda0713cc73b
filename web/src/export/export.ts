// Exports of any matrix the page draws: CSV and JSON of its numbers, SVG and PNG of its picture.
//
// Numbers are written exactly (shortest round-trip form). NaN and ±Infinity are never dropped or turned into
// null: CSV writes NaN / Infinity / -Infinity, JSON writes them as the strings "NaN", "Infinity", "-Infinity".
// Labels are text typed by users: CSV quotes them and defuses spreadsheet formulas (a leading = + - @ gets a
// leading '), SVG escapes them.
import { colormapLut } from '../components/colormaps';

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
