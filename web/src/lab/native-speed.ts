// The native trainer's speed on the lab's presets, measured by bench/lab_bench.mjs on the project's bench
// machine (attn-train, one thread, the exact run config the page trained) and committed with the page, so the
// lab can show its own steps/s next to the native ones for the same configuration.
import type { RunConfig } from '../../../engine/bindings/attn';
import measured from './native-speed.json';

interface Entry {
  preset: string;
  config: RunConfig;
  native_steps_per_s: number;
}

const entries = (measured as unknown as { runs: Entry[] }).runs; // the JSON holds booleans too (train.nesterov)

/** The measured native speed of exactly this resolved config, if the bench measured it. */
export function nativeSpeed(config: RunConfig): { native: number; preset: string } | undefined {
  const key = JSON.stringify(config);
  const e = entries.find((x) => JSON.stringify(x.config) === key);
  return e ? { native: e.native_steps_per_s, preset: e.preset } : undefined;
}
