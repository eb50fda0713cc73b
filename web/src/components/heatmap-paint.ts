// The cells of a heatmap as pixels: the one place that turns a matrix into colours. <attn-heatmap> scales the
// picture up into its canvas; <head-gallery> draws every head's picture into its one canvas.
//
// One pixel per cell: the colormap over `domain`, masked cells (additive mask -inf) grey, NaN cells red. The
// picture is drawn scaled without smoothing, so 512 x 512 cells cost a few milliseconds.
import { colormapLut } from './colormaps';

export interface CellPicture {
  matrix: Float32Array; // [rows, cols], row-major
  rows: number;
  cols: number;
  mask?: Float32Array; // [rows, cols] additive: -inf is masked
  colormap: string;
  domain: [number, number];
  masked: [number, number, number]; // the grey of masked cells, RGB
}

/** A mask to draw: none when it masks nothing (the tagger's is all zeros), so the legend does not speak of masked cells. */
export function drawnMask(mask: Float32Array | undefined): Float32Array | undefined {
  return mask?.includes(-Infinity) ? mask : undefined;
}

export const NAN_RGB: [number, number, number] = [220, 38, 38];

/** The grey of masked cells unless the page sets `--attn-masked-color`. */
export const MASKED_COLOR = '#dcdce2';

/** The grey of masked cells for an element: its CSS custom property `property` if set, else MASKED_COLOR. */
export function maskedRgb(styles: CSSStyleDeclaration, property: string): [number, number, number] {
  return rgbOf(styles.getPropertyValue(property).trim() || MASKED_COLOR);
}

/** One reused scratch canvas: the picture is put there, then drawn at once by the caller. */
let scratch: HTMLCanvasElement | undefined;

/**
 * Draws the cells of `p` into the rectangle (x, y, w, h) of ctx (in ctx's current units), each cell a sharp block.
 */
export function drawCells(ctx: CanvasRenderingContext2D, p: CellPicture, x: number, y: number, w: number, h: number) {
  const { rows, cols, matrix, mask } = p;
  if (!rows || !cols) return;
  const lut = colormapLut(p.colormap);
  const [lo, hi] = p.domain;
  const span = hi - lo || 1;
  const img = new ImageData(cols, rows);
  const px = img.data;
  for (let i = 0; i < rows * cols; i++) {
    const v = matrix[i];
    const o = i * 4;
    px[o + 3] = 255;
    let rgb: ArrayLike<number>;
    let k = 0;
    if (mask && mask[i] === -Infinity) rgb = p.masked;
    else if (Number.isNaN(v)) rgb = NAN_RGB;
    else {
      rgb = lut;
      k = Math.max(0, Math.min(255, Math.round(((v - lo) / span) * 255))) * 3;
    }
    px[o] = rgb[k];
    px[o + 1] = rgb[k + 1];
    px[o + 2] = rgb[k + 2];
  }
  scratch ??= document.createElement('canvas');
  if (scratch.width < cols) scratch.width = cols;
  if (scratch.height < rows) scratch.height = rows;
  scratch.getContext('2d')!.putImageData(img, 0, 0);
  const smoothing = ctx.imageSmoothingEnabled;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, 0, 0, cols, rows, x, y, w, h);
  ctx.imageSmoothingEnabled = smoothing;
}

/** A CSS colour (#rrggbb or rgb(r, g, b)) as RGB; a light grey if it cannot be read. */
export function rgbOf(color: string): [number, number, number] {
  const m = color.match(/^#([0-9a-f]{6})$/i);
  if (m) {
    const n = parseInt(m[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const nums = color.match(/\d+/g);
  return nums && nums.length >= 3 ? [Number(nums[0]), Number(nums[1]), Number(nums[2])] : [220, 220, 226];
}
