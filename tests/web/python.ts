// Running the page's generated PyTorch scripts in the tests: Debian's /usr/bin/python3 with python3-torch, the
// script on stdin and ATTN_JSON set, so it ends with one line of everything it showed (web/src/widgets/pytorch.ts).
// Used by pytorch.test.ts (the widgets' scripts) and pytorch-models.test.ts (the explorer's models).
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { parseShown } from '../../web/src/widgets/pytorch';

export const PYTHON = '/usr/bin/python3';

/** Fails with the install line when python3 cannot import torch (call from beforeAll). */
export function requireTorch() {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'pipe', timeout: 60000 });
  } catch (e) {
    throw new Error(
      `${PYTHON} cannot import torch: install python3-torch (apt-get install python3-torch; tools/test.sh does it). ${(e as Error).message}`,
    );
  }
}

/** Runs a script with ATTN_JSON set, in `cwd` (where the files it reads are); returns its stdout (the test fails
 * with the script's stderr). */
export function runPython(script: string, cwd?: string): string {
  try {
    return execFileSync(PYTHON, ['-'], {
      input: script,
      cwd,
      env: { ...process.env, ATTN_JSON: '1', CUDA_VISIBLE_DEVICES: '', OMP_NUM_THREADS: '1' },
      timeout: 60000,
      maxBuffer: 64 << 20,
      encoding: 'utf8',
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`the script failed: ${err.stderr || err.message}`);
  }
}

/** Runs the script and returns what it showed, after checking that every "agrees" check held. */
export function shownBy(script: string, cwd?: string): Record<string, number[]> {
  const out = runPython(script, cwd);
  expect(out).not.toMatch(/agrees: False/);
  return parseShown(out);
}

let maxErr = 0;

/** |a - e| ≤ 1e-5 · max(1, |e|) for every element (equal infinities and NaNs match). */
export function close(name: string, actual: number[] | undefined, expected: ArrayLike<number>) {
  expect(actual, `${name} was not shown`).toBeDefined();
  expect(actual!.length, `${name}: length`).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual![i];
    const e = expected[i];
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    const err = Math.abs(a - e) / Math.max(1, Math.abs(e));
    if (!(err <= 1e-5)) throw new Error(`${name}[${i}]: PyTorch ${a}, engine ${e}`);
    worst = Math.max(worst, err);
  }
  maxErr = Math.max(maxErr, worst);
}

/** The largest relative error of every close() of this test file so far. */
export function largestError(): number {
  return maxErr;
}
