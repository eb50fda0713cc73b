// <attn-lab>: the training lab. Configure a task and a transformer, train it in the page (in a worker of its
// own) and watch the loss fall, the accuracy rise and the attention form; evaluate it on held-out data, ask it
// new questions, and compare runs. Its configuration is its attributes (see config.ts FIELDS), so an embed
// snippet or a URL reproduces the setup; runs are results and stay out of the URL.
//
// Attributes: task, symbols, min-len, max-len, arch (encoder-decoder, decoder, or lstm: the recurrent baseline,
// which has no attention to show), layers, decoder-layers, heads, d-model, ff, activation,
// dropout, positional, norm, lr, warmup, batch, steps, seed, eval-every; keep-runs (keep finished runs in the
// browser across reloads: the lab page sets it).
import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { registerWidget } from '../widgets/registry';
import { WidgetBase, type WidgetEngineStatus } from '../widgets/widget-base';
import { DEFAULT_CONFIG, FIELDS, configFrom, runConfig, sameConfig, taskInfo, type LabConfig } from './config';
import { labClient } from './lab-client';
import { smooth, type Series } from './lab-chart';
import { LabStore, isActive, isFinal, type RunRecord } from './lab-store';
import { duration } from './lab-runs';
import { nativeSpeed } from './native-speed';
import './lab-attention';
import './lab-batch';
import './lab-chart';
import './lab-form';
import './lab-pytorch';
import './lab-runs';
import './lab-sweep';
import './lab-timeline';
import { percent } from '../text/format';

const LOSS = '#5b3cc4';
const HELD = '#e07b00';
const ACC = '#0f7b6c';
const GRAD = '#b8336a';

/** What the lab shows where the heatmaps would be, for the recurrent baseline. */
const NO_ATTENTION = `An LSTM has no attention to show: its encoder reads the input one symbol at a time, and its
  decoder sees the whole input only through the encoder's final state (h, c), a fixed number of values whatever
  the input's length.`;

@customElement('attn-lab')
export class AttnLab extends WidgetBase {
  static override widgetTag = 'attn-lab';
  static override stateKeys = [...FIELDS.map((f) => f.attr), 'sweep'];

  static override get observedAttributes() {
    return [...super.observedAttributes, ...FIELDS.map((f) => f.attr), 'sweep'];
  }

  private store?: LabStore;
  private off?: () => void;
  private writing = false;
  @state() private fieldErrors: string[] = [];
  @state() private inferText = '';
  @state() private inferring = false;

  get widgetTitle() {
    return 'Training lab';
  }

  get config(): LabConfig {
    return configFrom((a) => this.getAttribute(a), DEFAULT_CONFIG);
  }

  private get lab(): LabStore {
    this.store ??= new LabStore(this.config, this.hasAttribute('keep-runs'));
    return this.store;
  }

  override connectedCallback() {
    super.connectedCallback();
    this.off = this.lab.subscribe(() => this.requestUpdate());
    void this.lab.connect();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.off?.();
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null) {
    super.attributeChangedCallback(name, old, value);
    if (!this.writing && old !== value && FIELDS.some((f) => f.attr === name)) {
      this.store?.edit(this.config); // (a store made later starts from the attributes as they are then)
      void this.stateChanged();
    }
    if (name === 'sweep') this.requestUpdate();
  }

  protected override connectEngine(listener: (s: WidgetEngineStatus) => void): () => void {
    return labClient().onStatus((s) =>
      listener(s.state === 'loading' ? { state: 'loading', loaded: 0, total: 0 } : s),
    );
  }

  /** Validates the configuration in the engine (cheap: nothing is built but a model to count parameters). */
  protected async compute() {
    const s = this.lab.state;
    if (s.validation && sameConfig(s.config, this.config)) return; // e.g. only the sweep changed
    await this.lab.setConfig(this.config);
  }

  /** The sweep's edits become the `sweep` attribute ("heads=1,2,4"), kept in the URL like the rest. */
  private onSweep(spec: string) {
    this.writing = true;
    if (spec) this.setAttribute('sweep', spec);
    else this.removeAttribute('sweep');
    this.writing = false;
    void this.stateChanged();
  }

  /** The form's edits become attributes (defaults are left out, as in every widget). */
  private onConfig(config: LabConfig, fieldErrors: string[]) {
    this.fieldErrors = fieldErrors;
    this.writing = true;
    for (const f of FIELDS) {
      const v = config[f.key];
      if (v === DEFAULT_CONFIG[f.key]) this.removeAttribute(f.attr);
      else this.setAttribute(f.attr, String(v));
    }
    this.writing = false;
    this.lab.edit(this.config);
    void this.stateChanged();
  }

  // ------------------------------------------------------------------------------------------- sections
  private renderConfigure() {
    const s = this.lab.state;
    const v = s.validation;
    const active = this.lab.activeRun;
    const running = active?.status === 'running' || active?.status === 'starting';
    const problem = this.fieldErrors[0] ?? (v && !v.ok ? v.message : '');
    const sweeping = this.lab.sweepRunning;
    const canStart = !!v?.ok && !problem && !running && !sweeping;
    return html`<section role="group" aria-labelledby="configure-h">
      <h3 id="configure-h">1 · Configure</h3>
      <lab-form .config=${s.config} @config-change=${(e: CustomEvent<{ config: LabConfig; fieldErrors: string[] }>) =>
        this.onConfig(e.detail.config, e.detail.fieldErrors)}>
        ${v?.ok
          ? html`<table slot="examples" class="examples" aria-label="Examples of the task">
              <thead><tr><th scope="col">input</th><th scope="col">answer</th></tr></thead>
              <tbody>${v.examples.map((x) => html`<tr><td><code>${x.input}</code></td><td><code>${x.answer}</code></td></tr>`)}</tbody>
            </table>`
          : nothing}
      </lab-form>
      <div class="start">
        <button class="primary" data-action="start" ?disabled=${!canStart} @click=${() => this.lab.start()}>Start training</button>
        ${problem
          ? html`<p class="problem" role="alert">${problem}</p>`
          : v?.ok
            ? html`<p class="muted">${v.parameters.toLocaleString('en-US')} parameters · ${s.config.steps} steps of ${s.config.batch}
                ${sweeping ? html` · <strong>a sweep is training</strong>` : running ? html` · <strong>wait for the current run, or pause it</strong>` : nothing}</p>`
            : html`<p class="muted">Checking the configuration…</p>`}
      </div>
      ${v?.ok && !problem ? html`<lab-pytorch .store=${this.lab} .config=${runConfig(s.config)}></lab-pytorch>` : nothing}
      <lab-sweep .store=${this.lab} .revision=${this.lab.revision} spec=${this.getAttribute('sweep') ?? ''}
        @sweep-change=${(e: CustomEvent<string>) => this.onSweep(e.detail)}
        @config-change=${(e: CustomEvent<{ config: LabConfig; fieldErrors: string[] }>) => this.onConfig(e.detail.config, e.detail.fieldErrors)}></lab-sweep>
    </section>`;
  }

  private renderTraining(r: RunRecord) {
    const total = r.config.steps;
    const step = r.steps.length ? r.steps[r.steps.length - 1] : 0;
    const rate = r.trainSeconds > 0 ? r.steps.length / r.trainSeconds : 0;
    const tokens = r.trainSeconds > 0 ? r.tokens / r.trainSeconds : 0;
    const left = rate > 0 ? (total - step) / rate : NaN;
    const native = nativeSpeed(r.engineConfig ?? runConfig(r.config));
    const busy = r.status === 'evaluating' || r.status === 'stopping';
    const window = Math.max(1, Math.round(r.steps.length / 80));
    const lossSeries: Series[] = [
      { label: 'training (raw)', color: LOSS, x: r.steps, y: r.loss, faint: true },
      { label: 'training', color: LOSS, x: r.steps, y: smooth(r.loss, window) },
      { label: 'held-out', color: HELD, x: r.evals.map((e) => e.step), y: r.evals.map((e) => e.loss), dashed: true, dots: true },
    ];
    const accSeries: Series[] = [
      { label: 'token accuracy', color: ACC, x: r.evals.map((e) => e.step), y: r.evals.map((e) => e.tokenAccuracy), dots: true },
      { label: 'exact match', color: HELD, x: r.evals.map((e) => e.step), y: r.evals.map((e) => e.exactMatch), dots: true },
    ];
    const last = r.evals.at(-1);
    const firstLoss = r.loss.find((x) => Number.isFinite(x));
    return html`<section role="group" aria-labelledby="train-h">
      <h3 id="train-h">2 · Train <span class="run-name">${r.name}</span></h3>
      <div class="controls">
        ${r.status === 'paused'
          ? html`<button class="primary" data-action="resume" @click=${() => this.lab.resume(r.id)}>Resume</button>`
          : html`<button data-action="pause" ?disabled=${r.status !== 'running'} @click=${() => this.lab.pause(r.id)}>Pause</button>`}
        <button data-action="stop" ?disabled=${isFinal(r) || busy} @click=${() => this.lab.stop(r.id)}
          title="End training now and evaluate what the model has learned">Stop</button>
        <button data-action="reset" ?disabled=${busy} @click=${() => this.lab.reset()}
          title="Discard this run; the configuration stays">Reset</button>
        <span class="status" role="status">${statusText(r)}</span>
      </div>
      <div class="progress">
        <progress max=${total} .value=${step} aria-label="Training progress"></progress>
        <span class="numbers">step <strong data-step=${step}>${step}</strong> / ${total}
          · ${Math.round(tokens).toLocaleString('en-US')} tokens/s
          · ${rate.toFixed(1)} steps/s
          · ${duration(r.trainSeconds)} elapsed
          ${Number.isFinite(left) && !isFinal(r) && step < total ? html`· about ${duration(left)} left` : nothing}</span>
      </div>
      ${native
        ? html`<p class="muted speed">Same configuration natively (<code>attn-train</code>, one core of the project’s
            2-core bench machine): <strong>${native.native.toFixed(1)} steps/s</strong>; this page:
            ${rate > 0 ? html`<strong>${rate.toFixed(1)} steps/s</strong> (${(rate / native.native).toFixed(2)}×)` : '…'}.</p>`
        : html`<p class="muted speed">To time this configuration natively, export the run and pass its .json to
            <code>attn-train --config</code>.</p>`}
      ${r.message ? html`<p class="problem" role="alert">${r.message}</p>` : nothing}
      <div class="charts">
        <figure><figcaption>Loss</figcaption>
          <lab-chart log .series=${lossSeries} .xMax=${total} y-label="cross-entropy"
            aria-label=${firstLoss !== undefined ? `Training loss from ${firstLoss.toFixed(3)} to ${(r.loss.at(-1) ?? NaN).toFixed(3)} over ${step} steps` : 'Loss'}></lab-chart></figure>
        <figure><figcaption>Held-out accuracy</figcaption>
          <lab-chart .series=${accSeries} .xMax=${total} .yDomain=${[0, 1] as [number, number]} y-label="accuracy"
            .format=${(v: number) => `${Math.round(100 * v)}%`}
            aria-label=${last ? `Held-out exact match ${percent(last.exactMatch)} at step ${last.step}` : 'Held-out accuracy'}></lab-chart></figure>
        <figure><figcaption>Gradient norm <span class="muted">(${r.config.clip > 0 ? `before clipping to ${r.config.clip}` : 'not clipped'})</span></figcaption>
          <lab-chart log .series=${[
            { label: 'raw', color: GRAD, x: r.steps, y: r.gradNorm, faint: true },
            { label: 'gradient norm', color: GRAD, x: r.steps, y: smooth(r.gradNorm, window) },
          ]} .xMax=${total} y-label="‖g‖"
            aria-label="Gradient norm per step: spikes mean unstable training"></lab-chart></figure>
        <figure><figcaption>Learning rate</figcaption>
          <lab-chart .series=${[{ label: 'learning rate', color: '#7a7890', x: r.steps, y: r.lr }]} .xMax=${total} y-label="lr"
            .format=${(v: number) => v.toExponential(1)} aria-label="Learning rate: linear warmup, then cosine decay"></lab-chart></figure>
      </div>
      <lab-batch .store=${this.lab} .run=${r}></lab-batch>
      <lab-pytorch .store=${this.lab} .config=${runConfig(r.config)} about="this run"></lab-pytorch>
    </section>`;
  }

  private renderTimeline(r: RunRecord) {
    return html`<section role="group" aria-labelledby="timeline-h">
      <h3 id="timeline-h">3 · Watch attention form</h3>
      ${r.config.arch === 'lstm'
        ? html`<p class="muted" data-no-attention>${NO_ATTENTION} Compare its exact match with a transformer's on the
            same task (sweep <code>arch=encoder-decoder,lstm</code>).</p>`
        : html`<lab-timeline .run=${r} .revision=${this.lab.revision} colormap=${this.colormap}></lab-timeline>`}
    </section>`;
  }

  private async infer(r: RunRecord) {
    this.inferring = true;
    try {
      await this.lab.infer(r.id, this.inferText || r.probe?.input || '');
    } finally {
      this.inferring = false;
    }
  }

  private renderEvaluate(r: RunRecord) {
    const f = r.final;
    const task = taskInfo(r.config.task);
    const result = this.lab.state.inference[r.id];
    const text = this.inferText || r.probe?.input || '';
    const canInfer = r.status !== 'interrupted' && (r.inEngine || r.stored || isFinal(r));
    return html`<section role="group" aria-labelledby="eval-h">
      <h3 id="eval-h">4 · Evaluate and ask</h3>
      ${f
        ? html`<dl class="metrics">
            <div><dt>Held-out loss</dt><dd data-metric="loss">${f.loss.toFixed(4)}</dd></div>
            <div><dt>Token accuracy</dt><dd data-metric="token">${(100 * f.tokenAccuracy).toFixed(2)}%</dd></div>
            <div><dt>Exact match <span>(teacher-forced)</span></dt><dd data-metric="exact">${(100 * f.exactMatch).toFixed(2)}%</dd></div>
            <div><dt>Exact match <span>(generated, greedy)</span></dt><dd data-metric="greedy">${(100 * f.greedyExactMatch).toFixed(2)}%</dd></div>
            <div><dt>BLEU-4 <span>(over ${task.unit})</span></dt><dd data-metric="bleu">${f.bleu.toFixed(4)}</dd></div>
          </dl>
          <p class="muted">On ${f.sequences} held-out examples the model never trained on (1 in 8 of all inputs is held out).
            Teacher-forced: each answer position is predicted from the true answer so far; generated: the model writes
            the whole answer itself, one token at a time.</p>`
        : html`<p class="muted">${isActive(r) ? 'The final evaluation runs when training ends (or when you press Stop).' : ''}
            ${r.imported ? 'This run was imported.' : ''}
            ${r.status === 'interrupted' ? 'This run was interrupted: its weights were lost, so it cannot be evaluated or answer.' : ''}</p>`}
      <form class="infer" @submit=${(e: Event) => {
        e.preventDefault();
        void this.infer(r);
      }}>
        <label>Your input (${task.format.split(':')[0]})
          <input class="infer-text" .value=${text} maxlength="400" spellcheck="false" autocomplete="off"
            @input=${(e: Event) => (this.inferText = (e.target as HTMLInputElement).value)} /></label>
        <button class="primary" data-action="infer" ?disabled=${!canInfer || this.inferring}>Answer</button>
        ${isActive(r) ? html`<span class="muted">(the model as it is now, mid-training)</span>` : nothing}
      </form>
      ${result && 'error' in result ? html`<p class="problem" role="alert">${result.error}</p>` : nothing}
      ${result && !('error' in result)
        ? html`<p class="answer">The model answers <code data-output>${result.output || '(nothing)'}</code>
              ${result.finished ? nothing : html`<span class="muted">(it did not finish with &lt;eos&gt;)</span>`}
              ${result.expected !== undefined
                ? result.expected === result.output && result.finished
                  ? html`<span class="ok">✓ right</span>`
                  : html`<span class="no">✗ the answer is <code>${result.expected}</code></span>`
                : nothing}</p>
            ${r.config.arch === 'lstm'
              ? html`<p class="muted" data-no-attention>${NO_ATTENTION}</p>`
              : html`<lab-attention .set=${result.attention} colormap=${this.colormap} caption="your input"></lab-attention>`}`
        : nothing}
    </section>`;
  }

  protected renderBody() {
    const s = this.lab.state;
    const r = this.lab.currentRun;
    return html`
      ${this.renderConfigure()}
      ${r ? html`${this.renderTraining(r)}${this.renderTimeline(r)}${this.renderEvaluate(r)}` : nothing}
      <section role="group" aria-labelledby="runs-h">
        <h3 id="runs-h">${r ? '5' : '2'} · Experiments <span class="muted count">${s.runs.length} run${s.runs.length === 1 ? '' : 's'}</span></h3>
        <lab-sweep-result .store=${this.lab} .revision=${this.lab.revision}></lab-sweep-result>
        <lab-runs .store=${this.lab} .revision=${this.lab.revision}
          @use-config=${(e: CustomEvent<LabConfig>) => this.onConfig(e.detail, [])}></lab-runs>
      </section>
    `;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      section { border-top: 1px solid var(--w-border); padding: 12px 0 6px; }
      section:first-of-type { border-top: none; padding-top: 0; }
      h3 { font-size: 14px; margin: 0 0 10px; }
      .run-name { font-weight: 500; color: var(--w-muted); margin-left: 6px; }
      .count { font-weight: 400; margin-left: 6px; }
      .muted { color: var(--w-muted); font-size: 12.5px; }
      .start { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; margin-top: 10px; }
      .start p { margin: 0; }
      button { font: inherit; font-size: 13px; padding: 5px 12px; border-radius: 8px; border: 1px solid var(--w-border); background: var(--w-input-bg); color: var(--w-fg); cursor: pointer; }
      button.primary { background: var(--w-accent); border-color: var(--w-accent); color: var(--w-on-accent); font-weight: 600; }
      button:disabled { opacity: 0.5; cursor: not-allowed; }
      button:focus-visible, input:focus-visible { outline: 2px solid var(--w-focus); outline-offset: 2px; }
      .problem { color: var(--w-error); background: var(--w-error-bg); padding: 5px 10px; border-radius: 8px; margin: 0; font-size: 13px; }
      .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
      .status { font-size: 13px; margin-left: 6px; }
      .progress { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; margin: 10px 0 4px; }
      progress { flex: 1 1 240px; height: 10px; accent-color: var(--w-accent); }
      .numbers { font-size: 12.5px; font-variant-numeric: tabular-nums; }
      .speed { margin: 2px 0 8px; }
      code { font: 12.5px ui-monospace, monospace; background: var(--w-code-bg); padding: 1px 5px; border-radius: 5px; white-space: pre; }
      .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
      figure { margin: 0; }
      figcaption { font-size: 12.5px; font-weight: 600; }
      .examples { border-collapse: collapse; font-size: 12px; margin-top: 8px; }
      .examples th { text-align: left; color: var(--w-muted); font-weight: 600; padding: 1px 8px 1px 0; }
      .examples td { padding: 1px 8px 3px 0; vertical-align: top; }
      .examples code { white-space: normal; overflow-wrap: anywhere; }
      .metrics { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 6px; }
      .metrics div { border: 1px solid var(--w-border); border-radius: 10px; padding: 6px 12px; min-width: 120px; }
      .metrics dt { font-size: 11.5px; color: var(--w-muted); }
      .metrics dt span { font-size: 10.5px; }
      .metrics dd { margin: 0; font-size: 18px; font-weight: 650; font-variant-numeric: tabular-nums; }
      .infer { display: flex; flex-wrap: wrap; align-items: end; gap: 8px 10px; margin: 10px 0; }
      .infer label { display: flex; flex-direction: column; gap: 2px; font-size: 12.5px; font-weight: 600; flex: 1 1 280px; }
      .infer input { font: 14px ui-monospace, monospace; padding: 5px 8px; border: 1px solid var(--w-border); border-radius: 8px; background: var(--w-input-bg); color: var(--w-fg); }
      .answer { font-size: 14px; }
      .ok { color: var(--w-ok); font-weight: 650; margin-left: 6px; }
      .no { color: var(--w-error); margin-left: 6px; }
    `,
  ];
}

function statusText(r: RunRecord): string {
  switch (r.status) {
    case 'starting': return 'Starting…';
    case 'running': return 'Training…';
    case 'paused': return 'Paused. Resume to go on, or Stop to evaluate now.';
    case 'stopping': return 'Stopping: evaluating what it has learned…';
    case 'evaluating': return 'Evaluating on the held-out set…';
    case 'finished': return 'Finished.';
    case 'stopped': return 'Stopped early and evaluated.';
    case 'diverged': return 'Diverged.';
    case 'failed': return 'Failed.';
    case 'interrupted': return 'Interrupted: the training engine stopped.';
  }
}

registerWidget('attn-lab', 'Training lab');

declare global {
  interface HTMLElementTagNameMap {
    'attn-lab': AttnLab;
  }
}
