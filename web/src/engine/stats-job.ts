// The head gallery's statistics, computed in a worker after a model's first picture: one scheduler for the
// page's trained models (worker.ts) and for real checkpoints (hf-worker.ts).
//
// The engine computes one text's statistics at a time (`one(i)`), as many texts as fit in a slice of ~8 ms per
// turn of the worker's event loop, so an analysis the page asks for meanwhile goes first. Progress is reported
// a few times a second (each message renders the page); at the end the texts' statistics are combined per view
// as one pass over all of them would give (combineHeadStats; tests/web/page-hf.test.ts checks that).
import type { HeadStat } from '../models/describe';
import { combineHeadStats } from '../models/hf';
import type { LoadedModel } from './protocol';

/** One text's statistics by view name ('self', 'encoder', 'decoder', 'cross'): [layer][head]. */
export type TextStats = Record<string, HeadStat[][]>;

export interface StatsJob {
  /** How many texts. */
  total: number;
  /** Text i's statistics, or undefined for a text with no tokens. May throw: the job then ends with no stats. */
  one: (i: number) => TextStats | undefined;
  /** False once the model is gone (released, replaced): the job stops without a word. */
  alive?: () => boolean;
  /** Texts done so far (not every text: at most ~4 times a second). */
  progress: (done: number) => void;
  /** The combined statistics by view name ({} when they failed: the gallery then has no descriptions). */
  finish: (stats: LoadedModel['stats']) => void;
}

const SLICE_MS = 8;
const PROGRESS_MS = 250;

export function runStatsJob({ total, one, alive = () => true, progress, finish }: StatsJob) {
  const parts: TextStats[] = [];
  let i = 0;
  let told = performance.now();
  const step = () => {
    if (!alive()) return;
    const until = performance.now() + SLICE_MS;
    try {
      for (; i < total && performance.now() < until; i++) {
        const s = one(i);
        if (s) parts.push(s);
      }
    } catch (e) {
      // Statistics are extra: a failure leaves the gallery without descriptions, never the page.
      console.warn(`head statistics: ${(e as Error).message}`);
      finish({});
      return;
    }
    if (i < total) {
      if (performance.now() - told > PROGRESS_MS) {
        told = performance.now();
        progress(i);
      }
      setTimeout(step, 0);
      return;
    }
    const names = parts.length ? Object.keys(parts[0]) : [];
    finish(Object.fromEntries(names.map((n) => [n, combineHeadStats(parts.map((p) => p[n]), n === 'cross' ? 'cross' : 'self')])));
  };
  setTimeout(step, 0);
}
