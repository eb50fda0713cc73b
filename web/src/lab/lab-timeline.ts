// <lab-timeline>: how attention formed. Every evaluation recorded the attention of one fixed held-out example
// (the probe); the scrubber replays them in order, and Play animates them. While a run trains, the timeline
// follows the newest snapshot until the learner moves the scrubber back.
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { RunRecord } from './lab-store';
import './lab-attention';

@customElement('lab-timeline')
export class LabTimeline extends LitElement {
  @property({ attribute: false }) run?: RunRecord;
  /** The store's revision: the run is mutated in place, so this is what changes. */
  @property({ type: Number }) revision = 0;
  @property() colormap = 'viridis';
  @state() private index = -1; // -1: follow the newest
  @state() private playing = false;
  private timer = 0;

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  override willUpdate(changed: Map<string, unknown>) {
    const old = changed.get('run') as RunRecord | undefined;
    if (changed.has('run') && old && old.id !== this.run?.id) {
      this.index = -1;
      this.stop();
    }
  }

  private get shown(): number {
    const n = this.run?.snapshots.length ?? 0;
    return this.index < 0 || this.index >= n ? n - 1 : this.index;
  }

  private stop() {
    this.playing = false;
    clearInterval(this.timer);
  }

  private play() {
    const n = this.run?.snapshots.length ?? 0;
    if (n < 2) return;
    if (this.shown >= n - 1) this.index = 0;
    this.playing = true;
    clearInterval(this.timer);
    this.timer = window.setInterval(() => {
      const last = (this.run?.snapshots.length ?? 1) - 1;
      if (this.shown >= last) {
        this.index = -1;
        this.stop();
      } else this.index = this.shown + 1;
    }, 450);
  }

  override render() {
    const r = this.run;
    const snaps = r?.snapshots ?? [];
    if (!r || !snaps.length) {
      return html`<p class="muted">${r?.imported
        ? 'An imported run has no recorded snapshots; the inference below shows its attention now.'
        : 'The attention of a held-out example is recorded at the start and at every evaluation.'}</p>`;
    }
    const i = this.shown;
    const s = snaps[i];
    const total = r.config.steps;
    const predicted = s.predicted.filter((t) => t !== '<eos>').join(r.config.task === 'dates' ? '' : ' ');
    return html`
      <p class="probe">Held-out example: <code>${r.probe?.input ?? ''}</code> → <code>${r.probe?.answer ?? ''}</code></p>
      <div class="scrub">
        <button class="play" aria-label=${this.playing ? 'Pause the replay' : 'Replay how attention formed'}
          @click=${() => (this.playing ? this.stop() : this.play())}>${this.playing ? '❚❚' : '▶'}</button>
        <input type="range" min="0" max=${snaps.length - 1} .value=${String(i)} aria-label="Snapshot"
          aria-valuetext="step ${s.step} of ${total}"
          @input=${(e: Event) => {
            this.stop();
            const v = Number((e.target as HTMLInputElement).value);
            this.index = v >= snaps.length - 1 && !['finished', 'stopped', 'diverged', 'failed'].includes(r.status) ? -1 : v;
          }} />
        <span class="step">step <strong>${s.step}</strong> of ${total}</span>
      </div>
      <p class="guess">At this step the model answers (teacher-forced) <code>${predicted || '–'}</code>
        ${s.correct ? html`<span class="ok">✓ right</span>` : html`<span class="no">✗ not yet</span>`}</p>
      <lab-attention .set=${s.attention} colormap=${this.colormap} caption="step ${s.step}"></lab-attention>
    `;
  }

  static override styles = css`
    :host { display: block; }
    .muted { color: var(--w-muted); font-size: 13px; }
    .probe, .guess { font-size: 13px; margin: 0 0 6px; }
    code { font: 13px ui-monospace, monospace; background: var(--w-code-bg); padding: 1px 5px; border-radius: 5px; white-space: pre; }
    .scrub { display: flex; align-items: center; gap: 10px; margin: 6px 0; }
    .scrub input { flex: 1; accent-color: var(--w-accent); }
    .play { font: inherit; width: 34px; height: 28px; border-radius: 8px; border: 1px solid var(--w-border); background: var(--w-input-bg); color: var(--w-fg); cursor: pointer; }
    .step { font-size: 13px; font-variant-numeric: tabular-nums; min-width: 130px; }
    .ok { color: var(--w-ok); font-weight: 600; margin-left: 6px; }
    .no { color: var(--w-muted); margin-left: 6px; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-timeline': LabTimeline;
  }
}
