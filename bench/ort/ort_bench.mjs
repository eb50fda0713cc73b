#!/usr/bin/env node
// Engine kernels against ONNX Runtime Web, in the same Node process, timed the same way (issue #11, goal 3).
//
//   bench/run.sh ort [options]                   builds what it needs, then runs this script
//   node bench/ort/ort_bench.mjs [options]       after `cmake --build build/wasm --target attn_kernels` and
//                                                `npm ci` in bench/ort
//     --runs N      timed runs per measurement, median reported (default 7)
//     --run-ms T    minimum duration of one run in ms: a call is repeated until it lasts this long (default 200)
//     --warmup-ms T untimed calls first, for at least this long (default 400): V8 compiles WebAssembly with its
//                   baseline compiler (Liftoff) first and moves hot functions to TurboFan after some calls
//     --json FILE   also write every measurement there (default build/bench/ort.json)
//
// Both runtimes run single-threaded WebAssembly with 128-bit SIMD in this Node process:
//   engine  build/wasm/bench/attn_kernels.js (bench/kernels_wasm.cpp: attn::gemm, attn::softmax_forward,
//           attn::MultiheadAttention::forward; em++ -O3 -msimd128, no threads)
//   ORT     onnxruntime-web (bench/ort/package.json, exact version), wasm execution provider,
//           env.wasm.numThreads = 1, SIMD, its .wasm loaded from bench/ort/node_modules (env.wasm.wasmPaths),
//           graph optimizations "all"
// on the graphs and data of bench/ort/make_graphs.py (build/bench/ort/, made here when missing):
//   MatMul   C [M, N] = A [M, K] . B [K, N] for (M, K, N) = (128, 768, 2304), (128, 768, 768), (512, 768, 3072).
//            The engine computes it as its linear layers do: B stored as nn.Linear's weight [N, K] (B transposed
//            once, before timing) and C = A W^T (the dot-product kernel of ops/gemm.cpp). That is the row the goal
//            reads. A second engine row, "(B as [K, N])", times the other layout (the packed 4 x 8 kernel), for
//            information. flops = 2 M K N.
//   MHA      nn.MultiheadAttention forward, E = 768, H = 12, L = 128 and 512, batch 1, self-attention, no mask.
//            ORT: com.microsoft.Attention + MatMul + Add. flops = 8 L E^2 + 4 L^2 E (as bench/mha_bench.cpp).
//   softmax  rows of [H L, L] (12 heads' attention weights), L = 128 and 512. Reported in ns per element. For
//            information, ORT's session.run of an Identity graph of the same shape: the part of ORT's time that is
//            the call itself (the input copied into its heap, the output out), not the kernel.
//   peak     kb_peak: independent f32x4 mul + add chains in registers, no memory traffic (8 to 13 chains; the
//            best median counts), called from here in a loop. The GFLOP/s columns are also given as % of it.
//
// Before timing, each output is compared with float64 reference outputs computed by make_graphs.py (and engine
// with ORT): the script stops if a maximum absolute difference exceeds 1e-4 of the output's largest magnitude.
//
// Timing: inputs are copied in once (ORT: the input tensors are created once and session.run is timed, which
// includes ORT copying the input into its heap and the output out; engine: buffers in its heap, the call is
// timed). For each shape both runtimes are warmed up, each call is calibrated to `reps` calls per run of at
// least --run-ms, and the runs alternate between the runtimes (engine run, ORT run, engine run, ...), so that
// a change in the machine's load hits both. Reported: the median run's time per call (performance.now()).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-web';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const DATA = path.join(ROOT, 'build', 'bench', 'ort');
const KERNELS = path.join(ROOT, 'build', 'wasm', 'bench', 'attn_kernels.js');
const ORT_DIST = path.join(HERE, 'node_modules', 'onnxruntime-web', 'dist');
const PEAK_CHAINS = [8, 10, 12, 13];
const TOLERANCE = 1e-4; // of the reference output's largest magnitude

// ------------------------------------------------------------------------------------------------- options

function parseArgs(argv) {
  const opt = { runs: 7, runMs: 200, warmupMs: 400, json: path.join(ROOT, 'build', 'bench', 'ort.json') };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 12)
        .map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    }
    const value = argv[++i];
    if (value === undefined) fail(`option ${arg} needs a value`);
    if (arg === '--runs') opt.runs = Math.max(1, parseInt(value, 10));
    else if (arg === '--run-ms') opt.runMs = Math.max(0, Number(value));
    else if (arg === '--warmup-ms') opt.warmupMs = Math.max(0, Number(value));
    else if (arg === '--json') opt.json = value;
    else fail(`unknown option ${arg} (want --runs, --run-ms, --warmup-ms, --json)`);
  }
  return opt;
}

function fail(message) {
  console.error(`ort_bench: ${message}`);
  process.exit(1);
}

const log = (...args) => console.error(...args); // progress on stderr; the table on stdout

// ------------------------------------------------------------------------------------------------- inputs

// Every file a manifest entry names: the .onnx models ("model", "identity_model") and the {file, shape} arrays.
function filesOf(value) {
  if (typeof value === 'string') return /\.onnx$/.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(filesOf);
  if (value && typeof value === 'object') {
    return typeof value.file === 'string' ? [value.file] : Object.values(value).flatMap(filesOf);
  }
  return [];
}

// The graphs and data: made by make_graphs.py when a file is missing or the script is newer than them.
function ensureGraphs() {
  const manifestPath = path.join(DATA, 'manifest.json');
  const script = path.join(HERE, 'make_graphs.py');
  const fresh = fs.existsSync(manifestPath) &&
    fs.statSync(manifestPath).mtimeMs >= fs.statSync(script).mtimeMs &&
    filesOf(JSON.parse(fs.readFileSync(manifestPath, 'utf8')).entries)
      .every((f) => fs.existsSync(path.join(DATA, f)));
  if (!fresh) {
    log(`== making the ONNX graphs: /usr/bin/python3 ${path.relative(ROOT, script)}`);
    const r = spawnSync('/usr/bin/python3', [script, '--out', DATA], { stdio: 'inherit' });
    if (r.status !== 0) fail('make_graphs.py failed (it needs python3-onnx and numpy: apt-get install python3-onnx)');
  }
  return JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
}

function readF32(entry) {
  const buf = fs.readFileSync(path.join(DATA, entry.file));
  const n = entry.shape.reduce((a, b) => a * b, 1);
  if (buf.byteLength !== n * 4) fail(`${entry.file}: ${buf.byteLength} bytes, want ${n * 4}`);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function transpose(src, rows, cols) {
  const dst = new Float32Array(rows * cols);
  for (let i = 0; i < rows; ++i) for (let j = 0; j < cols; ++j) dst[j * rows + i] = src[i * cols + j];
  return dst;
}

// ------------------------------------------------------------------------------------------------ runtimes

async function loadEngine() {
  if (!fs.existsSync(KERNELS)) {
    fail(`${path.relative(ROOT, KERNELS)} is missing: bench/run.sh ort builds it ` +
      '(or: cmake --build build/wasm --target attn_kernels)');
  }
  const createAttnKernels = createRequire(import.meta.url)(KERNELS);
  const m = await createAttnKernels({ wasmBinary: fs.readFileSync(KERNELS.replace(/\.js$/, '.wasm')) });
  const heap = () => m.HEAPF32; // the heap never grows (-sALLOW_MEMORY_GROWTH=0): this view stays valid
  return {
    m,
    build: m.UTF8ToString(m._kb_build_info()),
    // A copy of `data` in the engine's heap; returns the pointer (free with m._kb_free).
    put(data) {
      const p = m._kb_alloc(data.length);
      if (!p) fail(`the engine's heap is full (${data.length} floats)`);
      heap().set(data, p >> 2);
      return p;
    },
    alloc(n) {
      const p = m._kb_alloc(n);
      if (!p) fail(`the engine's heap is full (${n} floats)`);
      return p;
    },
    get: (p, n) => heap().slice(p >> 2, (p >> 2) + n),
  };
}

async function loadOrt() {
  ort.env.wasm.numThreads = 1; // no worker threads
  ort.env.wasm.simd = true; // (the only build 1.2x ships: ort-wasm-simd-threaded.wasm)
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = ORT_DIST + path.sep;
  ort.env.logLevel = 'error';
  return ort;
}

async function ortSession(entry) {
  return ort.InferenceSession.create(path.join(DATA, entry.model), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
}

// ------------------------------------------------------------------------------------------------ checking

// Max |got - want| and that over want's largest magnitude; stops the benchmark when above TOLERANCE.
function compare(what, got, want) {
  if (got.length !== want.length) fail(`${what}: ${got.length} values, want ${want.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; ++i) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= diff)) diff = d; // NaN wins
    scale = Math.max(scale, Math.abs(want[i]));
  }
  const rel = diff / scale;
  log(`   check ${what}: max abs diff ${diff.toExponential(2)} (${rel.toExponential(2)} of max |ref| ` +
    `${scale.toPrecision(3)})`);
  if (!(rel <= TOLERANCE)) fail(`${what}: outputs differ by ${rel.toExponential(2)} of their scale (> ${TOLERANCE})`);
  return { maxAbsDiff: diff, relDiff: rel };
}

// ------------------------------------------------------------------------------------------------- timing

// The machine's busy CPU time so far, in ms (Linux /proc/stat; null elsewhere). Minus this process's own CPU time
// over an interval, it tells how much else ran while we timed (another benchmark, a build).
function machineBusyMs() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return ((user + nice + system + irq + softirq + (steal || 0)) * 1000) / 100; // USER_HZ = 100
  } catch {
    return null;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
};

// Times each of `calls` ({name, fn}: fn may return a promise): warm-up, calibration, then `runs` rounds in which
// each call runs `reps` times in turn. Returns {name: {ms (median per call), msMin, runs, reps}}.
async function measure(calls, opt) {
  const reps = [];
  for (const { fn } of calls) {
    const t0 = performance.now();
    let n = 0;
    do { await fn(); ++n; } while (n < 3 || performance.now() - t0 < opt.warmupMs);
    const t1 = performance.now();
    await fn();
    const one = Math.max(performance.now() - t1, 1e-3);
    reps.push(Math.max(1, Math.ceil(opt.runMs / one)));
  }
  const perCall = calls.map(() => []);
  const wall = calls.map(() => 0), cpu = calls.map(() => 0);
  const busy0 = machineBusyMs(), own0 = process.cpuUsage(), wall0 = performance.now();
  for (let r = 0; r < opt.runs; ++r) {
    for (let c = 0; c < calls.length; ++c) {
      const { fn } = calls[c];
      const u0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < reps[c]; ++i) await fn();
      const t = performance.now() - t0;
      const u = process.cpuUsage(u0);
      perCall[c].push(t / reps[c]);
      wall[c] += t;
      cpu[c] += (u.user + u.system) / 1000;
    }
  }
  const own = process.cpuUsage(own0), busy1 = machineBusyMs();
  // Other processes' CPU use while timing, in cores (0 on a quiet machine; 1 = another core fully busy).
  const others = busy0 === null ? null
    : Math.max(0, (busy1 - busy0 - (own.user + own.system) / 1000) / (performance.now() - wall0));
  const out = {};
  calls.forEach(({ name }, c) => {
    out[name] = {
      ms: median(perCall[c]), msMin: Math.min(...perCall[c]), runs: opt.runs, reps: reps[c],
      cpuPerWall: cpu[c] / wall[c], // the process's CPU time over wall time while timing: ~1 with one thread
      otherCores: others,
    };
  });
  return out;
}

// ------------------------------------------------------------------------------------------------ benchmarks

// The peak: kb_peak with each number of chains, a few ms a call; the best median.
async function benchPeak(engine, opt) {
  const iters = 1000000;
  const calls = PEAK_CHAINS.map((n) => ({ name: String(n), fn: () => engine.m._kb_peak(n, iters, 0.999, 0.001) }));
  const t = await measure(calls, opt);
  let best = null;
  for (const n of PEAK_CHAINS) {
    const gflops = (8 * n * iters) / (t[String(n)].ms * 1e6);
    log(`   peak, ${n} chains: ${gflops.toFixed(1)} GFLOP/s`);
    if (!best || gflops > best.gflops) best = { chains: n, gflops, ...t[String(n)] };
  }
  return best;
}

async function benchMatmul(e, engine, opt) {
  const { M, K, N } = e;
  const a = readF32(e.a), b = readF32(e.b), expect = readF32(e.expect);
  const session = await ortSession(e);
  const feeds = { A: new ort.Tensor('float32', a, [M, K]) };
  const ortOut = (await session.run(feeds)).C.data;

  const pa = engine.put(a), pw = engine.put(transpose(b, K, N)), pb = engine.put(b), pc = engine.alloc(M * N);
  engine.m._kb_gemm(pc, pa, pw, M, N, K, 1);
  const linOut = engine.get(pc, M * N);
  engine.m._kb_gemm(pc, pa, pb, M, N, K, 0);
  const packedOut = engine.get(pc, M * N);
  const check = {
    engine: compare(`engine A W^T ${M}x${K}x${N} vs reference`, linOut, expect),
    enginePacked: compare(`engine A B ${M}x${K}x${N} vs reference`, packedOut, expect),
    ort: compare(`ORT MatMul ${M}x${K}x${N} vs reference`, ortOut, expect),
    engineVsOrt: compare(`engine vs ORT ${M}x${K}x${N}`, linOut, ortOut),
  };

  const t = await measure([
    { name: 'engine', fn: () => engine.m._kb_gemm(pc, pa, pw, M, N, K, 1) },
    { name: 'ort', fn: () => session.run(feeds) },
    { name: 'enginePacked', fn: () => engine.m._kb_gemm(pc, pa, pb, M, N, K, 0) },
  ], opt);
  for (const p of [pa, pw, pb, pc]) engine.m._kb_free(p);
  await session.release();
  return { kernel: 'gemm', shape: { M, K, N }, flops: 2 * M * K * N, check, t };
}

async function benchMha(e, engine, opt) {
  const { L, E, H } = e;
  const x = readF32(e.x), expect = readF32(e.expect);
  const w = Object.fromEntries(Object.entries(e.weights).map(([k, f]) => [k, readF32(f)]));
  const session = await ortSession(e);
  const feeds = { x: new ort.Tensor('float32', x, [1, L, E]) };
  const ortOut = (await session.run(feeds)).y.data;

  const ptrs = [w.in_proj_weight, w.in_proj_bias, w.out_proj_weight, w.out_proj_bias, x].map((d) => engine.put(d));
  const handle = engine.m._kb_mha_create(E, H, L, ...ptrs);
  for (const p of ptrs) engine.m._kb_free(p); // copied into the layer
  if (!handle) fail(`kb_mha_create(E=${E}, H=${H}) failed`);
  const engOut = engine.get(engine.m._kb_mha_forward(handle), L * E);
  const check = {
    engine: compare(`engine MHA L=${L} vs reference`, engOut, expect),
    ort: compare(`ORT MHA L=${L} vs reference`, ortOut, expect),
    engineVsOrt: compare(`engine vs ORT MHA L=${L}`, engOut, ortOut),
  };

  const t = await measure([
    { name: 'engine', fn: () => engine.m._kb_mha_forward(handle) },
    { name: 'ort', fn: () => session.run(feeds) },
  ], opt);
  engine.m._kb_mha_destroy(handle);
  await session.release();
  return { kernel: 'mha_forward', shape: { B: 1, L, E, H }, flops: 8 * L * E * E + 4 * L * L * E, check, t };
}

async function benchSoftmax(e, engine, opt) {
  const { N, C } = e;
  const x = readF32(e.x), expect = readF32(e.expect);
  const session = await ortSession(e);
  const identity = await ortSession({ model: e.identity_model });
  const feeds = { X: new ort.Tensor('float32', x, [N, C]) };
  const ortOut = (await session.run(feeds)).Y.data;
  compare(`ORT Identity ${N}x${C}`, (await identity.run(feeds)).Y.data, x);

  const px = engine.put(x), pw = engine.alloc(N * C);
  engine.m._kb_softmax(pw, px, N, C);
  const engOut = engine.get(pw, N * C);
  const check = {
    engine: compare(`engine softmax ${N}x${C} vs reference`, engOut, expect),
    ort: compare(`ORT softmax ${N}x${C} vs reference`, ortOut, expect),
    engineVsOrt: compare(`engine vs ORT softmax ${N}x${C}`, engOut, ortOut),
  };

  const t = await measure([
    { name: 'engine', fn: () => engine.m._kb_softmax(pw, px, N, C) },
    { name: 'ort', fn: () => session.run(feeds) },
    { name: 'ortIdentity', fn: () => identity.run(feeds) },
  ], opt);
  engine.m._kb_free(px);
  engine.m._kb_free(pw);
  await session.release();
  await identity.release();
  return { kernel: 'softmax', shape: { N, C }, elements: N * C, check, t };
}

// ------------------------------------------------------------------------------------------------- report

const fmtCores = (c) => (c === null || c === undefined ? 'unknown' : `${c.toFixed(2)} cores`);
const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(1) : ms >= 10 ? ms.toFixed(2) : ms.toFixed(3));
const shapeStr = (s) => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(' ');

// One table row per measurement: the goal (issue #11, goal 3) and whether it is met.
function rows(results, peak) {
  const out = [];
  const pct = (g) => `${((100 * g) / peak.gflops).toFixed(0)}%`;
  for (const r of results) {
    const eng = r.t.engine.ms, ortMs = r.t.ort.ms;
    if (r.kernel === 'gemm') {
      const ge = r.flops / (eng * 1e6), go = r.flops / (ortMs * 1e6), ratio = ortMs / eng;
      out.push(['GEMM (A W^T, linear layers)', shapeStr(r.shape), fmtMs(eng), fmtMs(ortMs),
        `${ratio.toFixed(2)}x throughput`, ge.toFixed(1), go.toFixed(1), pct(ge), pct(go),
        'engine >= 1.3x ORT throughput', ratio >= 1.3 ? 'yes' : 'NO']);
      const packed = r.t.enginePacked.ms, gp = r.flops / (packed * 1e6);
      out.push(['GEMM (A B, B as [K, N]; info)', shapeStr(r.shape), fmtMs(packed), fmtMs(ortMs),
        `${(ortMs / packed).toFixed(2)}x throughput`, gp.toFixed(1), go.toFixed(1), pct(gp), pct(go), '-', '-']);
    } else if (r.kernel === 'mha_forward') {
      const ge = r.flops / (eng * 1e6), go = r.flops / (ortMs * 1e6), ratio = eng / ortMs;
      out.push(['MHA forward', shapeStr(r.shape), fmtMs(eng), fmtMs(ortMs), `${ratio.toFixed(2)}x time`,
        ge.toFixed(1), go.toFixed(1), pct(ge), pct(go), 'engine <= 0.75x ORT time', ratio <= 0.75 ? 'yes' : 'NO']);
    } else {
      const ne = (eng * 1e6) / r.elements, no = (ortMs * 1e6) / r.elements;
      out.push(['softmax (rows)', shapeStr(r.shape), fmtMs(eng), fmtMs(ortMs), `${(eng / ortMs).toFixed(2)}x time`,
        `${ne.toFixed(2)} ns/el`, `${no.toFixed(2)} ns/el`, '-', '-', 'engine <= 2 ns/element',
        ne <= 2 ? 'yes' : 'NO']);
      const id = r.t.ortIdentity.ms;
      out.push(['ORT session.run of Identity (info)', shapeStr(r.shape), '-', fmtMs(id), '-', '-',
        `${((id * 1e6) / r.elements).toFixed(2)} ns/el`, '-', '-', '-', '-']);
    }
  }
  return out;
}

function printTable(header, body) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  console.log(line(header));
  console.log(line(header.map(() => '---')));
  for (const r of body) console.log(line(r));
}

// --------------------------------------------------------------------------------------------------- main

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const manifest = ensureGraphs();
  const engine = await loadEngine();
  await loadOrt();
  const ortVersion = ort.env.versions?.web ?? JSON.parse(
    fs.readFileSync(path.join(HERE, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8')).version;
  log(`== engine: ${engine.build}`);
  log(`== ORT: onnxruntime-web ${ortVersion}, wasm, ${ort.env.wasm.numThreads} thread, SIMD`);
  log(`== runs ${opt.runs} x >= ${opt.runMs} ms per measurement, warm-up >= ${opt.warmupMs} ms`);

  log('== peak (register-only f32x4 mul + add)');
  const peakBefore = await benchPeak(engine, opt);
  const results = [];
  for (const e of manifest.entries) {
    const label = e.kind === 'matmul' ? `${e.M}x${e.K}x${e.N}` : e.kind === 'mha' ? `L=${e.L}` : `${e.N}x${e.C}`;
    log(`== ${e.kind} ${label}`);
    if (e.kind === 'matmul') results.push(await benchMatmul(e, engine, opt));
    else if (e.kind === 'mha') results.push(await benchMha(e, engine, opt));
    else if (e.kind === 'softmax') results.push(await benchSoftmax(e, engine, opt));
    const t = results[results.length - 1].t;
    const times = Object.entries(t).map(([k, v]) => `${k} ${fmtMs(v.ms)} ms (${v.runs}x${v.reps}, ` +
      `CPU/wall ${v.cpuPerWall.toFixed(2)})`);
    log(`   ${times.join(', ')}; other processes: ${fmtCores(Object.values(t)[0].otherCores)}`);
  }
  const otherMax = Math.max(...results.map((r) => Object.values(r.t)[0].otherCores ?? 0));
  if (otherMax > 0.1) {
    log(`WARNING: other processes used up to ${fmtCores(otherMax)} while timing: the numbers are disturbed ` +
      '(re-run on a quiet machine)');
  }
  // One thread each: the process's CPU time while a runtime is timed is its wall time (V8's compiler and garbage-
  // collector threads add a little, up to ~1.3 in short runs). Near 2 means ORT (or the engine) used threads.
  const cpuMax = {};
  for (const r of results) {
    for (const [k, v] of Object.entries(r.t)) {
      const who = k.startsWith('ort') ? 'ORT' : 'engine';
      cpuMax[who] = Math.max(cpuMax[who] ?? 0, v.cpuPerWall);
    }
  }
  if (Object.values(cpuMax).some((v) => v > 1.5)) {
    log(`WARNING: CPU time above wall time while timing (${JSON.stringify(cpuMax)}): more than one thread ran`);
  }
  log('== peak again (the best of both counts)');
  const peakAfter = await benchPeak(engine, opt);
  const peak = peakAfter.gflops > peakBefore.gflops ? peakAfter : peakBefore;

  console.log(`\n# Engine kernels vs ONNX Runtime Web ${ortVersion}, single-threaded WebAssembly SIMD, ` +
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}`);
  console.log(`# engine: ${engine.build}`);
  console.log(`# peak: ${peak.gflops.toFixed(1)} GFLOP/s (register-only f32x4 mul + add, ${peak.chains} chains; ` +
    `before ${peakBefore.gflops.toFixed(1)}, after ${peakAfter.gflops.toFixed(1)})`);
  console.log(`# times: median of ${opt.runs} runs per call, ms; engine and ORT runs alternate; process CPU time ` +
    `/ wall time while timing, at most: engine ${cpuMax.engine.toFixed(2)}, ORT ${cpuMax.ORT.toFixed(2)}; ` +
    `other processes while timing: at most ${fmtCores(otherMax)}\n`);
  printTable(['kernel', 'shape', 'engine ms', 'ORT ms', 'engine vs ORT', 'engine GFLOP/s', 'ORT GFLOP/s',
    'engine % peak', 'ORT % peak', 'goal', 'met?'], rows(results, peak));
  const goals = rows(results, peak).filter((r) => r[10] !== '-');
  const met = goals.filter((r) => r[10] === 'yes').length;
  console.log(`\n${met} of ${goals.length} goals met. GEMM: throughput ratio = ORT time / engine time; MHA and ` +
    'softmax: time ratio = engine time / ORT time. MHA GFLOP/s count 8·L·E² + 4·L²·E.');

  fs.mkdirSync(path.dirname(opt.json), { recursive: true });
  fs.writeFileSync(opt.json, JSON.stringify({
    date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, engine: engine.build,
    ort: ortVersion, options: opt, peak: { best: peak, before: peakBefore, after: peakAfter }, results,
  }, null, 1));
  log(`(all measurements: ${path.relative(process.cwd(), opt.json)})`);
}

await main();
