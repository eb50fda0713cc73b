// <lab-pytorch>: the lab's "PyTorch" button and its panel: a run config as a PyTorch training script
// (web/src/widgets/pytorch-lab.ts) that starts from the engine's initial weights (offered as a download) and prints
// the loss and gradient norm of the run's first steps, the numbers the lab's charts start with. The engine's part
// (initial weights, the first batches) is asked of the lab's worker when the panel opens, once per config.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { RunConfig } from '../../../engine/bindings/attn';
import '../widgets/pytorch-panel';
import type { ScriptDownload } from '../widgets/pytorch-panel';
import { initialWeightsName, scriptSteps, trainingScript } from '../widgets/pytorch-lab';
import type { LabStore } from './lab-store';

@customElement('lab-pytorch')
export class LabPytorchButton extends LitElement {
  @property({ attribute: false }) store!: LabStore;
  /** The engine run config the script trains (the form's, or a run's). */
  @property({ attribute: false }) config!: RunConfig;
  /** What the script is of, after the button: "this configuration", "this run". */
  @property() about = 'this configuration';

  @state() private open = false;
  @state() private script = '';
  @state() private files: ScriptDownload[] = [];
  @state() private error = '';
  private madeFor = '';

  override willUpdate() {
    if (this.open && this.madeFor !== JSON.stringify(this.config)) void this.make();
  }

  private async make() {
    const key = JSON.stringify(this.config);
    this.madeFor = key;
    this.script = '';
    this.error = '';
    try {
      const p = await this.store.pytorch(this.config);
      if (key !== this.madeFor) return;
      const weights = initialWeightsName(p.config);
      this.script = trainingScript({ config: p.config, batches: p.batches, weights });
      this.files = [{ label: 'Download initial weights', name: weights, make: async () => new Blob([p.weights as BlobPart]) }];
    } catch (e) {
      if (key === this.madeFor) this.error = (e as Error).message;
    }
  }

  override render() {
    const steps = scriptSteps(this.config);
    return html`<button class="pytorch-btn" data-action="pytorch" aria-expanded=${this.open} @click=${() => (this.open = !this.open)}>PyTorch</button>
      <span class="hint">${this.about}'s first ${steps} steps as a PyTorch training script</span>
      ${this.error ? html`<p class="problem" role="alert">${this.error}</p>` : nothing}
      ${this.open
        ? html`<pytorch-panel .script=${this.script} .files=${this.files} file-name="attn-lab-train.py"
            intro="A runnable PyTorch training script: the model with PyTorch's modules, the engine's initial weights (download them next to the script), the run's first batches, the loss, optimizer, schedule and clipping as configured. It prints each step's loss and gradient norm: with dropout 0, the lab's numbers to float rounding."></pytorch-panel>`
        : nothing}`;
  }

  static override styles = css`
    :host { display: block; margin: 8px 0; }
    pytorch-panel { margin-top: 8px; }
    .pytorch-btn { font: inherit; font-size: 12.5px; padding: 3px 10px; border-radius: 7px; cursor: pointer;
      border: 1px solid var(--w-border, #d6d3e4); background: var(--w-input-bg, #fff); color: var(--w-fg, #222); }
    .pytorch-btn[aria-expanded='true'] { border-color: var(--w-accent, #5b3cc4); color: var(--w-accent, #5b3cc4); }
    .hint { font-size: 12.5px; color: var(--w-muted, #5f5d6e); margin-left: 6px; }
    .problem { color: var(--w-error, #9b1c1c); font-size: 12.5px; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-pytorch': LabPytorchButton;
  }
}
