// How the page writes numbers.
import { describe, expect, it } from 'vitest';
import { percent } from '../../web/src/text/format';

describe('percent', () => {
  it('never rounds a rate up to 100% or down to 0%', () => {
    expect(percent(0.9997)).toBe('99.9%');
    expect(percent(0.99999)).toBe('99.9%');
    expect(percent(1)).toBe('100.0%');
    expect(percent(0.0004)).toBe('0.1%');
    expect(percent(0)).toBe('0.0%');
    expect(percent(0.5)).toBe('50.0%');
    expect(percent(0.1234)).toBe('12.3%');
    expect(percent(undefined)).toBe('–');
    expect(percent(NaN)).toBe('–');
  });
});
