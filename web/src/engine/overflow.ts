// A checkpoint whose numbers outgrow float32 (weights or activations past about 3.4 × 10³⁸, as a broken or
// mis-converted file can have) gives attention weights that are not numbers from some layer on, and predictions
// that cannot be read. The heatmap draws such cells red; this says in words where it starts and what it means.
import type { AttentionView } from './protocol';

/** Whether `w` holds a NaN or an infinity (x − x is 0 for every finite x). */
function nonFinite(w: Float32Array): boolean {
  for (let i = 0; i < w.length; i++) if (w[i] - w[i] !== 0) return true;
  return false;
}

/**
 * '' when every attention weight of `views` is a finite number; else a sentence naming, for each view, the first
 * layer (counted from 1) that is not, and what that means.
 */
export function overflowWarning(views: AttentionView[]): string {
  const hits: string[] = [];
  for (const v of views) {
    const l = v.weights.findIndex(nonFinite);
    if (l >= 0) hits.push(`${v.title}, from layer ${l + 1} on`);
  }
  if (!hits.length) return '';
  return `Some attention weights are not numbers (red cells): ${hits.join('; ')}. On this text the model's numbers ` +
    'grew past what float32 holds (about 3.4 × 10³⁸), so what comes after them, its predictions included, cannot be ' +
    'read. Its weights may be broken, or too large for float32.';
}
