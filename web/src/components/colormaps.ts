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

/** Relative luminance of a LUT entry, to pick readable text on top of it. */
export function lutLuminance(lut: Uint8ClampedArray, index: number): number {
  const [r, g, b] = [lut[index * 3], lut[index * 3 + 1], lut[index * 3 + 2]];
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}
