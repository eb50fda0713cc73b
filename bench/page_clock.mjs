// How the page benchmarks time "until the heatmap is painted", shared by page_bench.mjs and hf_bench.mjs.
//
// A picture is painted in the first animation frame after the explorer holds it: that frame's style, layout and
// paint run after its requestAnimationFrame callbacks, and a message posted from such a callback is delivered
// after them. So each clock polls the explorer's state once per frame, and when the state holds the awaited
// analysis it posts a message to itself; the time at which that message arrives is when the picture was painted
// (the main thread's part: the compositor's raster follows on other threads). Waiting for the next frame's
// callback instead, as these benchmarks did before, counted one more frame (16.7 ms) and whatever ran before it.

/** p in [0, 1]: the value at that rank of xs (the sorted copy's floor(p * n)-th, clamped). */
export const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/** The explorer's state in the page. */
const STATE = "document.querySelector('attn-explorer')?.store?.state";

/**
 * Installs, before any page script runs, a clock that records in window.__firstPaint the time (performance.now())
 * at which the page's first heatmap was painted: the explorer holds an analysis of the text it shows.
 */
export async function clockFirstPaint(context) {
  await context.addInitScript(`(() => {
    const check = () => {
      const s = ${STATE};
      if (s && s.analysis && s.analysis.text === s.texts[s.model]) {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => (window.__firstPaint = performance.now());
        ch.port2.postMessage(0);
      } else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  })()`);
}

/**
 * Starts timing keystrokes in the explorer's textarea: each `input` event starts a clock that stops when the
 * picture of that very text is painted. window.__keys collects [ms, engine ms of that analysis] pairs.
 */
export async function clockKeystrokes(page) {
  await page.evaluate(() => {
    const ex = document.querySelector('attn-explorer');
    const ta = ex.shadowRoot.querySelector('textarea');
    window.__keys = [];
    if (ta.dataset.clocked) return; // once per textarea: a second call only starts a new list
    ta.dataset.clocked = '1';
    ta.addEventListener('input', () => {
      const t0 = performance.now();
      const want = ta.value;
      const check = () => {
        const s = ex.store.state;
        if (s.analysis?.text === want && !s.busy) {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => window.__keys.push([performance.now() - t0, s.analysis.ms]);
          ch.port2.postMessage(0);
        } else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    });
  });
}

/** The worker's performance marks (attn:*), in ms since the page's navigation started. */
export async function workerMarks(page) {
  const origin = await page.evaluate(() => performance.timeOrigin);
  const out = {};
  for (const w of page.workers()) {
    const got = await w.evaluate(() => [performance.timeOrigin, performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])]).catch(() => null);
    if (!got) continue;
    for (const [name, t] of got[1]) if (name.startsWith('attn:')) out[name] ??= got[0] + t - origin;
  }
  return out;
}
