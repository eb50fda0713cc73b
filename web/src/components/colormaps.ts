// Colormaps for heatmaps: perceptually uniform ones from d3-scale-chromatic, sampled once into lookup tables.
import {
  interpolateCividis,
  interpolateGreys,
  interpolateInferno,
  interpolateMagma,
  interpolateRdBu,
  interpolateViridis,
} from 'd3-scale-chromatic';

/** Sequential maps, for attention weights and other values from 0 up. */
export const COLORMAPS: Record<string, { label: string; interpolate: (t: number) => string }> = {
  viridis: { label: 'Viridis', interpolate: interpolateViridis },
  cividis: { label: 'Cividis', interpolate: interpolateCividis },
  magma: { label: 'Magma', interpolate: interpolateMagma },
  inferno: { label: 'Inferno', interpolate: interpolateInferno },
  greys: { label: 'Greys', interpolate: (t) => interpolateGreys(1 - t) },
};

/** Diverging maps, for signed values (with a domain symmetric around 0): blue below 0, white at 0, red above. */
export const DIVERGING: Record<string, { label: string; interpolate: (t: number) => string }> = {
  rdbu: { label: 'Blue–red', interpolate: (t) => interpolateRdBu(1 - t) },
};

const ALL = { ...COLORMAPS, ...DIVERGING };

const cache = new Map<string, Uint8ClampedArray>();

/** 256 RGB triples for a colormap name (viridis if unknown). */
export function colormapLut(name: string): Uint8ClampedArray {
  const key = ALL[name] ? name : 'viridis';
  let lut = cache.get(key);
  if (!lut) {
    lut = new Uint8ClampedArray(256 * 3);
    const interpolate = ALL[key].interpolate;
    for (let i = 0; i < 256; i++) {
      const [r, g, b] = parseColor(interpolate(i / 255));
      lut.set([r, g, b], i * 3);
    }
    cache.set(key, lut);
  }
  return lut;
}

function parseColor(c: string): [number, number, number] {
  if (c.startsWith('#')) {
    const n = parseInt(c.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const m = c.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0'];
  return [Number(m[0]), Number(m[1]), Number(m[2])];
}

/** WCAG relative luminance of an sRGB colour (0-255 channels): 0 for black, 1 for white. */
export function relativeLuminance(r: number, g: number, b: number): number {
  const lin = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/**
 * The text colour to write on a LUT entry: black or white, whichever contrasts more with it. One of the two always
 * reaches WCAG's 4.5:1 (at least 4.58:1, on a luminance of 0.18); a dark grey instead of black would not (4.35:1).
 */
export function lutTextColor(lut: Uint8ClampedArray, index: number): '#000' | '#fff' {
  const L = relativeLuminance(lut[index * 3], lut[index * 3 + 1], lut[index * 3 + 2]);
  return (L + 0.05) / 0.05 >= 1.05 / (L + 0.05) ? '#000' : '#fff';
}
