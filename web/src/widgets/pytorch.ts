// The "PyTorch" button's scripts: what every widget's runnable Python script shares. Pure functions, no DOM, so
// the tests build the same scripts in Node and run them with PyTorch.
//
// A script: the imports, `device`, the exact float32 tensors of the widget's state as literals (each number written
// with the fewest digits that parse back to the same float32), the PyTorch calls the widget teaches, and
// `show(name, tensor)` for every number the widget shows: printed for the reader, and, when the environment
// variable ATTN_JSON is set, repeated at the end as one line `JSON: {"name": [...], ...}` for machines (the tests).

/** The shortest decimal that parses back (double, then float32) to the same float32 as `v`. */
export function pyNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  const f = Math.fround(v);
  if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0';
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return pyFloat(String(s));
  }
  return pyFloat(String(f));
}

/** JavaScript's number text as a Python float literal: "1" -> "1.0", "1e-7" stays, "1e+21" -> "1e21". */
function pyFloat(s: string): string {
  if (/^-?\d+$/.test(s)) return `${s}.0`;
  return s.replace('e+', 'e');
}

/** Nested Python lists of `data` in `shape` (row-major); the innermost rows `perLine` numbers to a line. */
export function pyList(data: ArrayLike<number>, shape: number[], indent = 4, perLine = 8): string {
  const nums = Array.from(data, (v) => (Number.isFinite(v) ? pyNumber(v) : `float("${pyNumber(v)}")`));
  if (shape.length === 0) return nums[0] ?? '0.0';
  const rec = (dim: number, offset: number, pad: number): string => {
    const n = shape[dim];
    if (dim === shape.length - 1) {
      const row = nums.slice(offset, offset + n);
      if (row.length <= perLine) return `[${row.join(', ')}]`;
      const lines: string[] = [];
      for (let i = 0; i < row.length; i += perLine) lines.push(row.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(pad + 1)}`)}]`;
    }
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const parts = Array.from({ length: n }, (_, i) => rec(dim + 1, offset + i * stride, pad + 1));
    return `[${parts.join(`,\n${' '.repeat(pad + 1)}`)}]`;
  };
  return rec(0, 0, indent);
}

/** `torch.tensor([...], device=device)`: float32 literals in their shape. */
export function pyTensor(data: ArrayLike<number>, shape: number[], indent = 4): string {
  return `torch.tensor(${pyList(data, shape, indent + 'torch.tensor('.length - 1)}, device=device)`;
}

/** A boolean tensor literal (True / False) in its shape. */
export function pyBoolTensor(data: ArrayLike<number | boolean>, shape: number[]): string {
  const nums = Array.from(data, (v) => (v ? 1 : 0));
  const list = pyList(nums, shape, 'torch.tensor('.length, 16).replace(/\b1\.0\b/g, 'True').replace(/\b0\.0\b/g, 'False');
  return `torch.tensor(${list}, dtype=torch.bool, device=device)`;
}

/** Python's repr of a string (double quotes). */
export function pyString(s: string): string {
  return JSON.stringify(s);
}

/** A Python bool / number for a setting. */
export function pySetting(v: boolean | number): string {
  return typeof v === 'boolean' ? (v ? 'True' : 'False') : Number.isInteger(v) ? String(v) : pyFloat(String(v));
}

/**
 * The start of every script: what it is (comment lines), the imports, device, print options and show().
 * `about` is a few lines of text (no '#'); `whose` names what the state is of ("the explorer's").
 */
export function scriptHeader(title: string, about: string[], whose = "the widget's"): string {
  return [
    `# ${title}: ${whose} current state, in PyTorch.`,
    ...about.map((l) => (l ? `# ${l}` : '#')),
    '# Paste into a notebook or save as a .py file and run it (PyTorch 1.13 or later: pip install torch, or on',
    '# Debian/Ubuntu apt-get install python3-torch; a GPU is used when there is one, and is not needed).',
    'import json, math, os',
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    'device = "cuda" if torch.cuda.is_available() else "cpu"',
    'torch.set_printoptions(precision=6, sci_mode=False, linewidth=120)',
    'shown = {}',
    '',
    '',
    'def show(name, t):',
    '    """Print a result the widget shows, under the widget\'s name for it."""',
    '    t = torch.as_tensor(t).detach().cpu()',
    '    print(f"{name} {tuple(t.shape)}:\\n{t}\\n")',
    '    shown[name] = t.double().tolist()',
    '',
    '',
  ].join('\n');
}

/** The end of every script: the machine-readable copy of everything shown (only when ATTN_JSON is set). */
export function scriptFooter(): string {
  return [
    '',
    '# Machine-readable copy of every number above (for checking against the widget): ATTN_JSON=1 python script.py',
    'if os.environ.get("ATTN_JSON"):',
    '    print("JSON:", json.dumps(shown))',
    '',
  ].join('\n');
}

/** Reads what a script printed with ATTN_JSON set: name -> flat numbers (NaN and ±Infinity kept). */
export function parseShown(stdout: string): Record<string, number[]> {
  const line = stdout.split('\n').find((l) => l.startsWith('JSON: '));
  if (!line) throw new Error('the script printed no JSON line');
  const text = line.slice(6).replace(/-?Infinity|NaN/g, (m) => `"${m}"`);
  const raw = JSON.parse(text) as Record<string, unknown>;
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = flatten(v).map((x) => (typeof x === 'string' ? Number(x) : (x as number)));
  return out;
}

function flatten(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [v];
}

/** A file name for the download: "attn-by-hand.py". */
export function scriptFileName(tag: string): string {
  return `${tag}.py`;
}
