// <lab-runs>: the experiments. Every run stays in a table (its configuration, final metrics, time and size),
// the ticked ones are overlaid on one loss chart and one accuracy chart, so the effect of heads, width,
// depth, learning rate, dropout or activation shows side by side. Runs export as a .json (config, curves,
// metrics) and a .safetensors (weights, config in the metadata) and import back from either or both.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { assetBase } from '../engine/shared';
import { download, fileName } from '../export/export';
import { smooth, type Series } from './lab-chart';
import type { LabStore, RunRecord } from './lab-store';
import { isFinal } from './lab-store';
import { taskInfo } from './config';
import './lab-chart';
import { percent } from '../text/format';

const num = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The model in a few words: "enc-dec 1+1 · 2 heads · d 32 · ffn 64". */
export function modelText(r: RunRecord): string {
  const c = r.config;
  if (c.arch === 'lstm') return `LSTM ${c.layers} layer${c.layers === 1 ? '' : 's'} · hidden ${c.dModel} · no attention`;
  const depth = c.arch === 'encoder-decoder' ? `enc-dec ${c.layers}+${c.decoderLayers}` : `decoder ${c.layers}`;
  const extras = [
    c.activation === 'gelu' ? 'GELU' : '',
    c.positional !== 'sinusoidal' ? `${c.positional} positions` : '',
    c.norm === 'pre' ? 'pre-norm' : '',
    c.dropout > 0 ? `dropout ${c.dropout}` : '',
  ].filter(Boolean);
  return [depth, `${c.heads} head${c.heads === 1 ? '' : 's'}`, `d ${c.dModel}`, `ffn ${c.ff}`, ...extras].join(' · ');
}

const STATUS: Record<string, string> = {
  starting: 'starting', running: 'training', paused: 'paused', stopping: 'stopping', evaluating: 'evaluating',
  finished: 'finished', stopped: 'stopped early', diverged: 'diverged', failed: 'failed', interrupted: 'interrupted',
};

@customElement('lab-runs')
export class LabRuns extends LitElement {
  @property({ attribute: false }) store!: LabStore;
  /** The store's revision: the run is mutated in place, so this is what changes. */
  @property({ type: Number }) revision = 0;
  @state() private busy = '';

  private async exportRun(r: RunRecord) {
    this.busy = r.id;
    try {
      const base = fileName(`${r.name} ${r.config.task}`, 'x').replace(/\.x$/, '');
      download(`${base}.json`, JSON.stringify(this.store.runFile(r), null, 1), 'application/json');
      if (r.status === 'interrupted') return; // its weights were lost with the worker: its curves only
      const bytes = await this.store.weights(r.id);
      download(`${base}.safetensors`, new Blob([bytes.slice().buffer as ArrayBuffer], { type: 'application/octet-stream' }));
    } catch (e) {
      this.store.notice(`Export: ${(e as Error).message}`);
    } finally {
      this.busy = '';
    }
  }

  private async openInExplorer(r: RunRecord) {
    this.busy = r.id;
    try {
      const url = await this.store.explorerUrl(r.id, assetBase()); // the explorer sits next to the widgets
      window.open(url, '_blank', 'noopener');
    } catch (e) {
      this.store.notice(`Open in the explorer: ${(e as Error).message}`);
    } finally {
      this.busy = '';
    }
  }

  private async onFiles(ev: Event) {
    const input = ev.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) await this.store.importFiles(files);
  }

  private charts(runs: RunRecord[]) {
    const loss: Series[] = [];
    const exact: Series[] = [];
    let xMax = 1;
    for (const r of runs) {
      xMax = Math.max(xMax, r.config.steps);
      const window = Math.max(1, Math.round(r.steps.length / 60));
      loss.push({ label: `${r.name} training`, color: r.color, x: r.steps, y: smooth(r.loss, window) });
      loss.push({ label: `${r.name} held-out`, color: r.color, x: r.evals.map((e) => e.step), y: r.evals.map((e) => e.loss), dashed: true, dots: true });
      exact.push({ label: r.name, color: r.color, x: r.evals.map((e) => e.step), y: r.evals.map((e) => e.exactMatch), dots: true });
    }
    return html`<div class="charts">
      <figure><figcaption>Loss (training, smoothed; held-out dashed)</figcaption>
        <lab-chart log .series=${loss} .xMax=${xMax} y-label="cross-entropy" aria-label="Loss curves of the compared runs"></lab-chart></figure>
      <figure><figcaption>Held-out exact match (teacher-forced)</figcaption>
        <lab-chart .series=${exact} .xMax=${xMax} .yDomain=${[0, 1] as [number, number]} y-label="exact match"
          .format=${(v: number) => `${Math.round(100 * v)}%`} aria-label="Held-out exact match of the compared runs"></lab-chart></figure>
    </div>`;
  }

  override render() {
    const s = this.store.state;
    const compared = s.runs.filter((r) => s.compare.includes(r.id));
    return html`
      <div class="bar">
        <label class="import">Import runs…
          <input type="file" multiple accept=".json,.safetensors,application/json" @change=${(e: Event) => this.onFiles(e)} />
        </label>
        <span class="muted">Exported runs come back from their .json (curves and metrics) and .safetensors (weights); select both.</span>
      </div>
      ${s.notice ? html`<p class="notice" role="status">${s.notice}</p>` : nothing}
      ${s.unreadable.map((u) => html`<p class="unreadable" role="alert" data-unreadable=${u.id}>
        A run kept in this browser${u.name ? html` (<span dir="auto">${u.name}</span>)` : nothing} cannot be read: ${u.reason}.
        The other runs are not affected.
        <button @click=${() => this.store.deleteUnreadable(u.id)} aria-label="Delete the unreadable run ${u.name ?? u.id}">Delete it</button></p>`)}
      ${s.runs.length === 0
        ? html`<p class="muted">Finished runs are listed here with their configuration and results. Change one setting and train again to compare.</p>`
        : html`
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col"><span class="sr">Compare</span></th>
                    <th scope="col">Run</th><th scope="col">Task</th><th scope="col">Model</th>
                    <th scope="col">lr · batch · steps</th><th scope="col" class="n">Parameters</th>
                    <th scope="col" class="n">Held-out loss</th><th scope="col" class="n">Token acc.</th>
                    <th scope="col" class="n">Exact match</th><th scope="col" class="n">Generated</th><th scope="col" class="n">BLEU</th>
                    <th scope="col" class="n">Time</th><th scope="col" class="n">Steps/s</th>
                  </tr>
                </thead>
                <tbody>
                  ${s.runs.map((r) => {
                    const f = r.final;
                    const last = r.evals.at(-1);
                    const done = isFinal(r);
                    return html`<tr class=${r.id === s.current ? 'current' : ''} data-run=${r.id}>
                      <td><input type="checkbox" aria-label="Compare ${r.name}" .checked=${s.compare.includes(r.id)}
                        @change=${() => this.store.toggleCompare(r.id)} /></td>
                      <td class="run"><button class="link" @click=${() => this.store.select(r.id)} title="Show this run above">
                          <span class="swatch" data-color=${r.color}></span>${r.name}</button>
                        <span class="status ${r.status}">${STATUS[r.status]}${r.imported ? ' · imported' : ''}</span>
                        <span class="actions">
                          <button @click=${() => this.dispatchEvent(new CustomEvent('use-config', { detail: r.config, bubbles: true, composed: true }))}
                            title="Put this run's settings in the form, to change one and train again">Reuse</button>
                          <button ?disabled=${!done || this.busy === r.id} @click=${() => this.exportRun(r)}
                            title=${r.status === 'interrupted' ? 'Download its .json (config, curves): its weights were lost when training was interrupted'
                              : 'Download its .json (config, curves, metrics) and .safetensors (weights)'}>Export</button>
                          <button ?disabled=${!done || this.busy === r.id || r.config.arch === 'lstm' || r.status === 'interrupted'} @click=${() => this.openInExplorer(r)}
                            title=${r.config.arch === 'lstm' ? 'An LSTM has no attention for the explorer to show'
                              : r.status === 'interrupted' ? 'Its weights were lost when training was interrupted' : 'Open the trained model in the explorer page'}>Explorer</button>
                          <button ?disabled=${!done} @click=${() => this.store.deleteRun(r.id)} aria-label="Delete ${r.name}">Delete</button>
                        </span></td>
                      <td>${taskInfo(r.config.task).title}${taskInfo(r.config.task).toy ? html`<br /><span class="muted">${r.config.symbols} symbols, ${r.config.minLen}–${r.config.maxLen}</span>` : nothing}</td>
                      <td class="model">${modelText(r)}</td>
                      <td>${r.config.lr} · ${r.config.batch} · ${r.config.steps}</td>
                      <td class="n">${r.parameters.toLocaleString('en-US')}</td>
                      <td class="n">${num(f?.loss ?? last?.loss)}</td>
                      <td class="n">${percent(f?.tokenAccuracy ?? last?.tokenAccuracy)}</td>
                      <td class="n">${percent(f?.exactMatch ?? last?.exactMatch)}</td>
                      <td class="n">${percent(f?.greedyExactMatch)}</td>
                      <td class="n">${f ? num(f.bleu, 3) : '–'}</td>
                      <td class="n">${duration(r.trainSeconds)}</td>
                      <td class="n">${r.trainSeconds > 0 ? (r.steps.length / r.trainSeconds).toFixed(1) : '–'}</td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>
            ${compared.length ? this.charts(compared) : html`<p class="muted">Tick runs to overlay their curves.</p>`}
          `}
    `;
  }

  override updated() {
    // Swatch colours come from data attributes through the CSSOM (no inline styles under the strict CSP).
    for (const el of this.renderRoot.querySelectorAll<HTMLElement>('.swatch[data-color]')) el.style.setProperty('background', el.dataset.color!);
  }

  static override styles = css`
    :host { display: block; }
    .bar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; margin-bottom: 8px; font-size: 13px; }
    .import { position: relative; display: inline-block; padding: 4px 10px; border: 1px solid var(--w-border); border-radius: 8px; background: var(--w-input-bg); cursor: pointer; font-weight: 600; }
    .import input { position: absolute; inset: 0; opacity: 0; cursor: pointer; width: 100%; }
    .import:focus-within { outline: 2px solid var(--w-focus); outline-offset: 2px; }
    .muted { color: var(--w-muted); font-size: 12.5px; }
    .notice { font-size: 13px; background: var(--w-code-bg); border-radius: 8px; padding: 6px 10px; margin: 0 0 8px; }
    .scroll { overflow-x: auto; }
    table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
    th { text-align: left; font-weight: 600; color: var(--w-muted); padding: 4px 6px; border-bottom: 1px solid var(--w-border); white-space: nowrap; }
    td { padding: 5px 6px; border-bottom: 1px solid var(--w-border); vertical-align: top; }
    .n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    tr.current td { background: var(--w-code-bg); }
    .model { min-width: 180px; }
    .link { all: unset; cursor: pointer; font-weight: 650; display: inline-flex; align-items: center; gap: 6px; }
    .link:focus-visible { outline: 2px solid var(--w-focus); }
    .swatch { width: 10px; height: 10px; border-radius: 3px; display: inline-block; }
    .status { display: block; font-size: 11px; color: var(--w-muted); }
    .status.diverged, .status.failed, .status.interrupted { color: var(--w-error); }
    .unreadable { font-size: 13px; color: var(--w-error); background: var(--w-error-bg); border-radius: 8px; padding: 6px 10px; margin: 0 0 8px; }
    .unreadable button { font: inherit; font-size: 12px; margin-left: 6px; padding: 2px 8px; border-radius: 6px; border: 1px solid var(--w-border); background: var(--w-input-bg); color: var(--w-fg); cursor: pointer; }
    .run { min-width: 150px; }
    .actions { display: flex; flex-wrap: wrap; gap: 3px; margin-top: 3px; }
    .actions button { font: inherit; font-size: 12px; padding: 2px 7px; border-radius: 6px; border: 1px solid var(--w-border); background: var(--w-input-bg); color: var(--w-fg); cursor: pointer; }
    .actions button:disabled { opacity: 0.5; cursor: not-allowed; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 14px; margin-top: 12px; }
    figure { margin: 0; }
    figcaption { font-size: 12.5px; font-weight: 600; margin-bottom: 2px; }
    .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-runs': LabRuns;
  }
}
