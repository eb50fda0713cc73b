// The text written on colormap colours (numbers in heatmap cells and in the neuron view's strips) is readable on
// every colour of every map: WCAG contrast of at least 4.5:1 (#14 item 7).
import { describe, expect, it } from 'vitest';
import { COLORMAPS, DIVERGING, colormapLut, lutTextColor, relativeLuminance } from '../../web/src/components/colormaps';

const contrast = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

describe('lutTextColor', () => {
  it('gives at least 4.5:1 on all 256 colours of every colormap', () => {
    for (const name of [...Object.keys(COLORMAPS), ...Object.keys(DIVERGING)]) {
      const lut = colormapLut(name);
      for (let k = 0; k < 256; k++) {
        const bg = relativeLuminance(lut[3 * k], lut[3 * k + 1], lut[3 * k + 2]);
        const text = lutTextColor(lut, k) === '#fff' ? 1 : 0;
        expect(contrast(bg, text), `${name}[${k}]`).toBeGreaterThanOrEqual(4.5);
      }
    }
  });

  it('measures luminance as WCAG does', () => {
    expect(relativeLuminance(0, 0, 0)).toBe(0);
    expect(relativeLuminance(255, 255, 255)).toBeCloseTo(1, 12);
    // #767676 is the lightest grey with 4.5:1 on white.
    expect(contrast(relativeLuminance(0x76, 0x76, 0x76), 1)).toBeCloseTo(4.54, 2);
  });
});
