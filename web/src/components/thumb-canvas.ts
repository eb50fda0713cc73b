// Many small pictures in one canvas, laid over a grid of cards or cells that each keep an empty box where their
// picture goes. A canvas is a layer of its own for the browser's compositor: 144 of them (GPT-2's heads) made every
// frame of the page, typing included, slow to commit. <head-gallery> and <attn-model-view> draw this way.
//
// The grid must be positioned (position: relative) and be the boxes' offset parent; the canvas sits in the grid,
// absolutely placed at its top left, with pointer-events: none.

/**
 * Sizes `canvas` to the whole scrollable area of `grid` and calls `paint` for each element matching `boxes`, with
 * the box's place and size in CSS pixels (the context is already scaled for the screen's pixel ratio). Returns the
 * context (for what is drawn over all boxes at once, as drawCellsMany does).
 */
export function paintOverGrid(grid: HTMLElement, canvas: HTMLCanvasElement, boxes: string,
  paint: (ctx: CanvasRenderingContext2D, box: HTMLElement, x: number, y: number, w: number, h: number) => void): CanvasRenderingContext2D {
  canvas.style.width = '0'; // measured without the canvas, so the grid's scrollable area can also shrink
  canvas.style.height = '0';
  const places = [...grid.querySelectorAll<HTMLElement>(boxes)].map((el) => ({
    el, x: el.offsetLeft, y: el.offsetTop, w: el.offsetWidth, h: el.offsetHeight,
  }));
  const ctx = sizeCanvas(canvas, grid.scrollWidth, grid.scrollHeight);
  for (const p of places) paint(ctx, p.el, p.x, p.y, p.w, p.h);
  return ctx;
}

/** Sizes a canvas to W × H CSS pixels, sharp on this screen; returns its context, scaled to CSS pixels. */
export function sizeCanvas(canvas: HTMLCanvasElement, W: number, H: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  canvas.width = Math.max(1, Math.round(W * dpr));
  canvas.height = Math.max(1, Math.round(H * dpr));
  const ctx = canvas.getContext('2d')!;
  ctx.scale(dpr, dpr);
  return ctx;
}
