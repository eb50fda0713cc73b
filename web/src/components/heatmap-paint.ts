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

/** One reused scratch canvas: the pictures are put there, then drawn from it by the caller. */
let scratch: HTMLCanvasElement | undefined;

/** The most pixels one upload to the scratch canvas holds (4 M: 16 MB); more pictures are drawn in several uploads. */
const ATLAS_PIXELS = 1 << 22;

/** A picture and the rectangle (x, y, w, h) of the context where it goes (in the context's current units). */
export interface CellItem {
  picture: CellPicture;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Writes p's cells as RGBA pixels into `px` (an image `stride` pixels wide) with its top left at (ox, oy). */
function paintPixels(px: Uint8ClampedArray, stride: number, ox: number, oy: number, p: CellPicture) {
  const { rows, cols, matrix, mask } = p;
  const lut = colormapLut(p.colormap);
  const [lo, hi] = p.domain;
  const span = hi - lo || 1;
  for (let r = 0; r < rows; r++) {
    let o = ((oy + r) * stride + ox) * 4;
    for (let c = 0, i = r * cols; c < cols; c++, i++, o += 4) {
      const v = matrix[i];
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
      px[o + 3] = 255;
    }
  }
}

/**
 * Draws the cells of `p` into the rectangle (x, y, w, h) of ctx (in ctx's current units), each cell a sharp block.
 */
export function drawCells(ctx: CanvasRenderingContext2D, p: CellPicture, x: number, y: number, w: number, h: number) {
  drawCellsMany(ctx, [{ picture: p, x, y, w, h }]);
}

/**
 * Draws many pictures, as drawCells does each, with one upload of their pixels: the pictures sit side by side in
 * one image (rows of pictures, at most ATLAS_PIXELS, else in several), put into the scratch canvas at once, then
 * each is drawn scaled from its place. Putting an image into a canvas costs far more than colouring its pixels:
 * GPT-2's 144 thumbnails, one upload each, took about 160 ms; in one, a few.
 */
export function drawCellsMany(ctx: CanvasRenderingContext2D, items: CellItem[]) {
  const todo = items.filter((it) => it.picture.rows > 0 && it.picture.cols > 0);
  const smoothing = ctx.imageSmoothingEnabled;
  ctx.imageSmoothingEnabled = false;
  while (todo.length) {
    // Shelves: pictures left to right until the row is full, then a new row below (each row as tall as its tallest).
    const width = Math.max(...todo.map((it) => it.picture.cols), Math.min(4096, Math.ceil(Math.sqrt(todo.reduce((s, it) => s + it.picture.rows * it.picture.cols, 0)))));
    const placed: { it: CellItem; ox: number; oy: number }[] = [];
    let ox = 0;
    let oy = 0;
    let shelf = 0;
    while (todo.length) {
      const { rows, cols } = todo[0].picture;
      if (ox + cols > width) {
        oy += shelf;
        ox = 0;
        shelf = 0;
      }
      if (placed.length && (oy + Math.max(shelf, rows)) * width > ATLAS_PIXELS) break;
      placed.push({ it: todo.shift()!, ox, oy });
      ox += cols;
      shelf = Math.max(shelf, rows);
    }
    const height = oy + shelf;
    const img = new ImageData(width, height);
    for (const { it, ox: x0, oy: y0 } of placed) paintPixels(img.data, width, x0, y0, it.picture);
    scratch ??= document.createElement('canvas');
    if (scratch.width < width) scratch.width = width;
    if (scratch.height < height) scratch.height = height;
    scratch.getContext('2d')!.putImageData(img, 0, 0);
    for (const { it, ox: x0, oy: y0 } of placed) ctx.drawImage(scratch, x0, y0, it.picture.cols, it.picture.rows, it.x, it.y, it.w, it.h);
  }
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
