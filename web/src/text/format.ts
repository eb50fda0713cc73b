// Numbers as the page writes them.

/**
 * A rate (0 … 1) as a percentage with one decimal that never rounds up to 100% or down to 0%: 0.9997 is "99.9%",
 * only 1 is "100.0%" (a learner reads "100%" as "every answer right"). Undefined or NaN is "–".
 */
export function percent(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const p = 100 * v;
  const shown = p >= 100 ? 100 : p <= 0 ? 0 : Math.min(99.9, Math.max(0.1, Math.floor(p * 10) / 10));
  return `${shown.toFixed(1)}%`;
}
