// Sweeps: train the form's configuration once per value of one setting, one run after another, and see the
// setting's effect side by side.
//   <lab-sweep>         the sweep's setting and values, each value checked by the engine before anything
//                       trains, and the button that starts it. Fires `sweep-change` with its attribute form
//                       ("heads=1,2,4") whenever it is edited, so a page or widget keeps it in its URL; an
//                       idea that needs other settings (why attention: reverse at length 10) fires
//                       `config-change` with them, as the form does.
//   <lab-sweep-result>  the last sweep: one row per value with its final metrics, bars for held-out exact
//                       match and training time, and a sentence naming the best and the fastest.
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { MAX_SWEEP, SWEEP_FIELDS, parseSweep, parseSweepValues, sweepLabel, type SweepField, type SweepValue } from './config';
import type { Validation } from './lab-client';
import { isFinal, type LabStore, type RunRecord } from './lab-store';
import { duration } from './lab-runs';
import { percent } from '../text/format';


@customElement('lab-sweep')
export class LabSweep extends LitElement {
  @property({ attribute: false }) store!: LabStore;
  @property({ type: Number }) revision = 0;
  /** The sweep in its attribute form, "heads=1,2,4" (the widget's `sweep` attribute). */
  @property() spec = '';
  @state() private field: SweepField = SWEEP_FIELDS[0];
  @state() private text = SWEEP_FIELDS[0].suggest;
  @state() private checks?: { key: string; results: Validation[] };
  @state() private problem = '';
  @state() private starting = false;
  private appliedSpec?: string;
  private checking = '';
  private timer = 0;

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('spec') && this.spec !== this.appliedSpec) {
      this.appliedSpec = this.spec;
      const s = this.spec ? parseSweep(this.spec) : undefined;
      if (s && 'error' in s) this.problem = s.error;
      else if (s) {
        this.field = s.field;
        this.text = s.values.join(', ');
        this.problem = '';
      }
    }
  }

  private get parsed() {
    return parseSweepValues(this.field, this.text);
  }

  /** What the checks are of: the form's configuration and the sweep. */
  private get checkKey(): string {
    const p = this.parsed;
    return 'error' in p ? '' : JSON.stringify([this.store.state.config, this.field.key, p.values]);
  }

  override updated() {
    const key = this.checkKey;
    if (!key || key === this.checks?.key || key === this.checking) return;
    clearTimeout(this.timer);
    this.checking = key;
    this.timer = window.setTimeout(async () => {
      const p = this.parsed;
      if ('error' in p || key !== this.checkKey) return;
      const results = await this.store.checkSweep(this.field, p.values);
      if (key === this.checkKey) this.checks = { key, results };
      if (this.checking === key) this.checking = '';
    }, 120);
  }

  private edited() {
    this.problem = '';
    const p = this.parsed;
    const spec = 'error' in p ? '' : `${this.field.attr}=${p.values.join(',')}`;
    this.appliedSpec = spec;
    this.dispatchEvent(new CustomEvent('sweep-change', { detail: spec, bubbles: true, composed: true }));
  }

  private async start(values: SweepValue[]) {
    this.starting = true;
    try {
      this.problem = (await this.store.startSweep(this.field, values)) ?? '';
    } finally {
      this.starting = false;
    }
  }

  override render() {
    const s = this.store.state;
    const p = this.parsed;
    const values = 'error' in p ? [] : p.values;
    const checks = this.checks?.key === this.checkKey ? this.checks.results : undefined;
    const bad = checks?.map((c, i) => (c.ok ? '' : `${sweepLabel(this.field, values[i])}: ${c.message}`)).filter(Boolean) ?? [];
    const busy = !!this.store.activeRun || this.store.sweepRunning;
    const can = !('error' in p) && !!checks && bad.length === 0 && !busy && !this.starting;
    // When the form's own configuration is invalid, every value would repeat the form's message: say it once, there.
    const formInvalid = s.validation !== undefined && !s.validation.ok;
    const message = this.problem || ('error' in p ? p.error : formInvalid ? '' : bad[0]);
    return html`<div class="sweep" role="group" aria-labelledby="sweep-label">
      <span id="sweep-label" class="lead">Or sweep one setting:</span>
      <label class="sr" for="sweep-field">Setting to sweep</label>
      <select id="sweep-field" data-sweep="field" @change=${(e: Event) => {
        this.field = SWEEP_FIELDS[(e.target as HTMLSelectElement).selectedIndex];
        this.text = this.field.suggest;
        this.edited();
      }}>
        ${SWEEP_FIELDS.map((f) => html`<option ?selected=${f === this.field}>${f.label}</option>`)}
      </select>
      <label>over
        <input data-sweep="values" .value=${this.text} spellcheck="false" autocomplete="off" size="22"
          aria-invalid=${'error' in p || bad.length ? 'true' : 'false'}
          title=${`up to ${MAX_SWEEP} values, separated by commas`}
          @input=${(e: Event) => {
            this.text = (e.target as HTMLInputElement).value;
            this.edited();
          }} /></label>
      <button data-action="sweep" ?disabled=${!can} @click=${() => this.start(values)}
        title="Train one run per value, one after another, everything else as in the form">
        Train ${values.length || ''} run${values.length === 1 ? '' : 's'} in a row</button>
      ${message
        ? html`<p class="problem" role="alert">${message}</p>`
        : formInvalid
          ? html`<p class="muted">Fix the configuration above first.</p>`
          : busy
          ? html`<p class="muted">${this.store.sweepRunning ? 'A sweep is training (see Experiments).' : 'Wait for the current run, or stop it.'}</p>`
          : checks
            ? html`<p class="muted">${values.length} runs of ${s.config.steps} steps; everything else as in the form.</p>`
            : html`<p class="muted">Checking each value…</p>`}
    </div>
    <p class="ideas"><span class="muted">Try:</span>
      ${SWEEP_FIELDS.filter((f) => f.idea).map((f) => html`<button class="idea" data-idea=${f.attr} title=${f.idea!.question} @click=${() => {
        const config = f.idea!.config;
        if (config) this.dispatchEvent(new CustomEvent('config-change', { detail: { config: { ...this.store.state.config, ...config }, fieldErrors: [] }, bubbles: true, composed: true }));
        this.field = f;
        this.text = f.suggest;
        this.edited();
      }}>${f.idea!.label}</button>`)}</p>`;
  }

  static override styles = css`
    :host { display: block; margin-top: 10px; }
    .ideas { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin-top: 6px; }
    button.idea { font-size: 12px; font-weight: 500; padding: 2px 9px; border-radius: 999px; border-color: var(--w-border); color: var(--w-fg); }
    .sweep { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; font-size: 13px; }
    .lead { font-weight: 600; }
    select, input { font: inherit; font-size: 13px; padding: 3px 6px; border: 1px solid var(--w-border); border-radius: 6px; background: var(--w-input-bg); color: var(--w-fg); }
    input[aria-invalid='true'] { border-color: var(--w-error); background: var(--w-error-bg); }
    button { font: inherit; font-size: 13px; padding: 5px 12px; border-radius: 8px; border: 1px solid var(--w-accent); background: var(--w-input-bg); color: var(--w-accent); font-weight: 600; cursor: pointer; }
    button:disabled { opacity: 0.5; cursor: not-allowed; }
    button:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--w-focus); outline-offset: 2px; }
    p { margin: 0; font-size: 12.5px; }
    .muted { color: var(--w-muted); }
    .problem { color: var(--w-error); background: var(--w-error-bg); padding: 4px 10px; border-radius: 8px; }
    .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  `;
}

/** Held-out exact match (teacher-forced) that counts as learned, for "how fast did it converge". */
const LEARNED = 0.9;

/** The first evaluation at which the run's held-out exact match reached LEARNED. */
const reached = (r: RunRecord) => r.evals.find((e) => e.exactMatch >= LEARNED);

/** The metric a sweep is judged by: generated exact match when the run has finished, else the last evaluation's. */
function score(r: RunRecord): number | undefined {
  return r.final?.greedyExactMatch ?? r.evals.at(-1)?.exactMatch;
}

const BAR = 90;
const bar = (fraction: number, color: string) =>
  svg`<svg class="bar" width=${BAR} height="9" aria-hidden="true"><rect width=${BAR} height="9" rx="2" class="track"></rect>
    <rect width=${Math.max(0, Math.min(1, fraction)) * BAR} height="9" rx="2" fill=${color}></rect></svg>`;

function reachedText(r: RunRecord | undefined): string {
  if (!r) return '–';
  const e = reached(r);
  if (e) return `step ${e.step}${e.seconds ? ` (${duration(e.seconds)})` : ''}`;
  return isFinal(r) ? 'not reached' : '…';
}

@customElement('lab-sweep-result')
export class LabSweepResult extends LitElement {
  @property({ attribute: false }) store!: LabStore;
  @property({ type: Number }) revision = 0;

  override render() {
    const sw = this.store.state.sweep;
    if (!sw) return nothing;
    const rows = sw.values.map((value, i) => ({ value, run: this.store.run(sw.runs[i]) }));
    const done = rows.filter((x) => x.run && isFinal(x.run) && x.run.status !== 'failed');
    const maxTime = Math.max(1e-9, ...rows.map((x) => x.run?.trainSeconds ?? 0));
    const label = (v: SweepValue) => sweepLabel(sw.field, v);
    let summary: unknown = nothing;
    if (done.length >= 2) {
      const best = done.reduce((a, b) => ((score(b.run!) ?? -1) > (score(a.run!) ?? -1) ? b : a));
      const fastest = done.reduce((a, b) => (b.run!.trainSeconds < a.run!.trainSeconds ? b : a));
      const slowest = done.reduce((a, b) => (b.run!.trainSeconds > a.run!.trainSeconds ? b : a));
      const spread = slowest.run!.trainSeconds / Math.max(1e-9, fastest.run!.trainSeconds);
      const learned = done.filter((x) => reached(x.run!)).sort((a, b) => reached(a.run!)!.step - reached(b.run!)!.step);
      const worst = done.reduce((a, b) => ((score(b.run!) ?? 2) < (score(a.run!) ?? 2) ? b : a));
      summary = html`<p class="summary" data-summary>Best held-out exact match (generated): <strong>${label(best.value)}</strong>
        (${percent(score(best.run!))}${worst !== best ? html`; the worst, ${label(worst.value)}, ${percent(score(worst.run!))}` : nothing}).
        ${spread >= 1.25
          ? html`Fastest to train: <strong>${label(fastest.value)}</strong> (${duration(fastest.run!.trainSeconds)};
              the slowest, ${label(slowest.value)}, ${duration(slowest.run!.trainSeconds)}).`
          : html`Training times are within ${Math.round(100 * (spread - 1))}% of each other: about the same computation.`}
        ${learned.length
          ? html`First to ${100 * LEARNED}% held-out exact match: <strong>${label(learned[0].value)}</strong> (step ${reached(learned[0].run!)!.step}).`
          : html`None reached ${100 * LEARNED}% held-out exact match.`}
        ${sw.field.key === 'seed' ? 'Only the seed differs: the spread is the noise any other comparison must beat.' : 'Everything else was the same.'}</p>`;
    }
    const progress = sw.state === 'running' ? `training ${sw.next} of ${sw.values.length}` : sw.state === 'stopped' ? 'stopped' : 'done';
    return html`<div class="box"><div class="head">
        <h4>Sweep of ${sw.field.label.toLowerCase()} <span class="muted">${sw.values.join(', ')} · ${progress}</span></h4>
        ${sw.state === 'running' ? html`<button data-action="stop-sweep" @click=${() => this.store.stopSweep()}>Stop the sweep</button>` : nothing}
      </div>
      <div class="scroll"><table aria-label="Sweep results">
        <thead><tr>
          <th scope="col">${sw.field.label}</th><th scope="col">Run</th><th scope="col" class="n">Parameters</th>
          <th scope="col" class="n">Held-out loss</th><th scope="col">Exact match (generated)</th>
          <th scope="col">Training time</th><th scope="col" class="n">Steps/s</th>
          <th scope="col" class="n" title="The first evaluation with held-out exact match (teacher-forced) of at least ${100 * LEARNED}%">${100 * LEARNED}% reached at</th>
        </tr></thead>
        <tbody>${rows.map(({ value, run: r }) => {
          const sc = r ? score(r) : undefined;
          return html`<tr data-value=${String(value)}>
            <th scope="row">${String(value)}</th>
            <td>${r ? html`<button class="link" @click=${() => this.store.select(r.id)}>${r.name.replace(/ · .*/, '')}</button>
                <span class="status">${r.status}</span>` : html`<span class="muted">${sw.runs.includes(undefined) && sw.state === 'running' ? 'waiting' : '–'}</span>`}</td>
            <td class="n">${r ? r.parameters.toLocaleString('en-US') : '–'}</td>
            <td class="n">${r ? (r.final?.loss ?? r.evals.at(-1)?.loss)?.toFixed(4) ?? '–' : '–'}</td>
            <td><span class="barcell">${r && sc !== undefined ? bar(sc, r.color) : nothing}<span class="v" data-metric="exact">${percent(sc)}${r && !r.final && sc !== undefined ? html` <span class="muted">(so far)</span>` : nothing}</span></span></td>
            <td><span class="barcell">${r && r.trainSeconds > 0 ? bar(r.trainSeconds / maxTime, r.color) : nothing}<span class="v" data-metric="time">${r ? duration(r.trainSeconds) : '–'}</span></span></td>
            <td class="n">${r && r.trainSeconds > 0 ? (r.steps.length / r.trainSeconds).toFixed(1) : '–'}</td>
            <td class="n" data-metric="reached">${reachedText(r)}</td>
          </tr>`;
        })}</tbody>
      </table></div>
      ${summary}</div>`;
  }

  static override styles = css`
    :host { display: block; }
    .box { margin: 4px 0 14px; padding: 10px 12px; border: 1px solid var(--w-border); border-radius: 10px; }
    .head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 6px; }
    h4 { margin: 0 0 6px; font-size: 13.5px; }
    .muted { color: var(--w-muted); font-weight: 400; font-size: 12.5px; }
    .scroll { overflow-x: auto; }
    table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
    th { text-align: left; font-weight: 600; color: var(--w-muted); padding: 4px 6px; border-bottom: 1px solid var(--w-border); white-space: nowrap; }
    tbody th { color: var(--w-fg); font-variant-numeric: tabular-nums; }
    td { padding: 4px 6px; border-bottom: 1px solid var(--w-border); white-space: nowrap; }
    .n { text-align: right; font-variant-numeric: tabular-nums; }
    .barcell { display: inline-flex; align-items: center; gap: 6px; }
    .bar .track { fill: var(--w-code-bg); }
    .v { font-variant-numeric: tabular-nums; }
    .status { color: var(--w-muted); font-size: 11px; margin-left: 4px; }
    .link { all: unset; cursor: pointer; font-weight: 600; }
    .link:focus-visible { outline: 2px solid var(--w-focus); }
    button:not(.link) { font: inherit; font-size: 12.5px; padding: 3px 10px; border-radius: 7px; border: 1px solid var(--w-border); background: var(--w-input-bg); color: var(--w-fg); cursor: pointer; }
    .summary { font-size: 13px; margin: 8px 0 0; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-sweep': LabSweep;
    'lab-sweep-result': LabSweepResult;
  }
}
