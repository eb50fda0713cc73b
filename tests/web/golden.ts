// Reads the golden files of tests/golden (float64 safetensors written by make_golden.py) for the JS tests,
// and loads the engine exactly as shipped (build/wasm/attn.mjs + attn_engine.wasm).
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Engine, Tensor } from '../../engine/bindings/attn';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const engineDir = process.env.ATTN_ENGINE_DIR ?? path.join(root, 'build/wasm');

export async function loadBuiltEngine(): Promise<Engine> {
  const api = await import(/* @vite-ignore */ pathToFileURL(path.join(engineDir, 'attn.mjs')).href);
  return api.loadEngine();
}

export interface F64Tensor {
  data: Float64Array;
  shape: number[];
}

export class Golden {
  readonly cases: Record<string, any>[];
  private readonly header: Record<string, any>;
  private readonly data: DataView;

  constructor(name: string) {
    const bytes = readFileSync(path.join(root, 'tests/golden', `${name}.safetensors`));
    const n = Number(bytes.readBigUInt64LE(0));
    this.header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    this.data = new DataView(bytes.buffer, bytes.byteOffset + 8 + n);
    this.cases = JSON.parse(this.header.__metadata__.cases);
  }

  has(name: string): boolean {
    return name in this.header;
  }

  f64(name: string): F64Tensor {
    const e = this.header[name];
    if (!e) throw new Error(`no golden tensor ${name}`);
    const [begin, end] = e.data_offsets;
    const out = new Float64Array((end - begin) / 8);
    for (let i = 0; i < out.length; i++) out[i] = this.data.getFloat64(begin + i * 8, true);
    return { data: out, shape: e.shape };
  }

  f32(name: string): Tensor {
    const t = this.f64(name);
    return { data: Float32Array.from(t.data), shape: t.shape };
  }

  /** A mask input as the API takes it: boolean masks with dtype "bool". */
  mask(c: Record<string, any>, key: string) {
    const kind = c[key];
    if (!kind) return undefined;
    const t = this.f32(`${c.id}.in.${key}`);
    return kind === 'bool' ? { ...t, dtype: 'bool' as const } : t;
  }

  params(id: string): Record<string, Tensor> {
    const prefix = `${id}.param.`;
    const out: Record<string, Tensor> = {};
    for (const k of Object.keys(this.header)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = this.f32(k);
    return out;
  }
}

/** Largest |actual - expected| beyond the tolerance (0 when within), plus the largest raw error. */
export function compare(actual: Tensor, expected: F64Tensor, abs = 1e-5, rel = 1e-4) {
  if (actual.shape.join() !== expected.shape.join())
    throw new Error(`shape [${actual.shape}] != expected [${expected.shape}]`);
  let maxErr = 0;
  let excess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    if (!Number.isFinite(a)) return { maxErr: Infinity, excess: Infinity };
    const err = Math.abs(a - e);
    maxErr = Math.max(maxErr, err);
    excess = Math.max(excess, err - Math.max(abs, rel * Math.abs(e)));
  }
  return { maxErr, excess };
}

/** A Hugging Face case's reference file (tests/golden/hf/<case>/reference.safetensors, or head_mask.safetensors):
 * F64 outputs and I64 inputs, by name. */
export class HfReference {
  readonly meta: Record<string, string>;
  private readonly header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  private readonly data: DataView;
  constructor(id: string, file = 'reference.safetensors') {
    const bytes = readFileSync(path.join(root, 'tests/golden/hf', id, file));
    const n = Number(bytes.readBigUInt64LE(0));
    const h = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    this.meta = h.__metadata__;
    delete h.__metadata__;
    this.header = h;
    this.data = new DataView(bytes.buffer, bytes.byteOffset + 8 + n);
  }
  has(name: string) {
    return name in this.header;
  }
  values(name: string): { data: number[]; shape: number[] } {
    const e = this.header[name];
    const [begin, end] = e.data_offsets;
    const out: number[] = [];
    for (let o = begin; o < end; o += 8) out.push(e.dtype === 'I64' ? Number(this.data.getBigInt64(o, true)) : this.data.getFloat64(o, true));
    return { data: out, shape: e.shape };
  }
  ids(name: string) {
    return this.has(name) ? this.values(name).data : undefined;
  }
}

/** max |actual - expected| / max(1, max |expected|): the Hugging Face cases' error, relative to the tensor's scale
 * (tests/engine/hf_model_test.cpp explains why). Throws on a shape mismatch. */
export function scaledError(actual: Tensor, expected: { data: ArrayLike<number>; shape: number[] }) {
  if (actual.shape.join() !== expected.shape.join())
    throw new Error(`shape [${actual.shape}] != expected [${expected.shape}]`);
  let scale = 1;
  for (let i = 0; i < expected.data.length; i++) scale = Math.max(scale, Math.abs(expected.data[i]));
  let err = 0;
  for (let i = 0; i < expected.data.length; i++) err = Math.max(err, Math.abs(actual.data[i] - expected.data[i]) / scale);
  return Number.isNaN(err) ? Infinity : err;
}
