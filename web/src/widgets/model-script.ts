// The PyTorch script of what the explorer (or <attn-view>) shows now, and the files it reads: the page's state in,
// widgets/pytorch-models.ts' script out. The shipped models' weights and tokenizers are the files the page serves;
// the untrained model's and a lab model's weights are made by the engine in the worker when asked for.
import type { Analysis, AttentionView, LoadedModel } from '../engine/protocol';
import { assetBase, sharedEngine } from '../engine/shared';
import { modelInfo, type ModelId } from '../models/catalog';
import type { HeadChoice, ModelSettings } from '../state/store';
import { labMaxNew, modelScript, weightsFileName, type ModelScriptInput, type ScriptFile, type ScriptModel } from './pytorch-models';
import type { ScriptDownload } from './pytorch-panel';

export interface ShownModel {
  model: ModelId;
  info?: LoadedModel;
  analysis?: Analysis;
  view?: AttentionView;
  layer: number;
  head: HeadChoice;
  settings: ModelSettings;
  run?: string;
}

const SHIPPED = ['lm', 'tagger', 'dates'];
/** The architectures modelScript writes (engine/models/model.h). */
const ARCHS = ['encoder', 'decoder', 'encoder-decoder'];

/** The script's input for the state, or undefined while there is nothing to write (no analysis of this model yet,
 * or an empty text). */
function scriptInput(s: ShownModel): ModelScriptInput | undefined {
  const { info, analysis: a, view } = s;
  if (!info || !a?.ids?.length || a.model !== s.model || !view) return undefined;
  const model = s.model as ScriptModel;
  const shipped = SHIPPED.includes(model);
  const served = (file: string) => new URL(`models/${model}/${file}`, assetBase()).href;
  const config = info.config;
  const task = model === 'lab' ? (config.task as { name?: string; max_len?: number }) : undefined;
  const tokens = a.tokens.map((t) => t.text);
  return {
    model,
    title: model === 'lab' ? `your lab model "${String(config.name ?? 'lab run')}"` : model === 'untrained' ? 'the untrained model'
      : `the ${modelInfo(model).title.toLowerCase()}`,
    config,
    ids: a.ids,
    tokens: model === 'lm' ? ['<bos>', ...tokens] : model === 'lab' ? a.ids.map((i) => info.vocab?.[i] ?? String(i)) : tokens,
    view: view.name,
    layer: Math.min(s.layer, view.layers - 1),
    head: s.head === 'mean' ? 'mean' : Math.min(s.head, view.heads - 1),
    weights: shipped
      ? { name: weightsFileName(model), url: served('model.safetensors') }
      : { name: weightsFileName(model, { ...s.settings }, s.run) },
    tokenizer: model === 'lm' || model === 'dates' ? { name: `${model}-tokenizer.json`, url: served('tokenizer.json') } : undefined,
    vocab: info.vocab,
    task: task?.name,
    maxNew: model === 'dates' ? 12 : task ? labMaxNew(task) : undefined,
    seed: model === 'untrained' ? s.settings.seed : undefined,
  };
}

/** The script of what is shown ('' while there is none) and the downloads its panel offers. */
export function shownModelScript(s: ShownModel): { script: string; files: ScriptDownload[] } {
  if (s.model === 'hf') return { script: HF_NOTE, files: [] };
  const arch = String(s.info?.config.arch ?? 'encoder');
  if (!ARCHS.includes(arch)) return { script: `# A model of architecture "${arch}" has no PyTorch script here yet.\n`, files: [] };
  const input = scriptInput(s);
  if (!input) return { script: '', files: [] };
  return { script: modelScript(input), files: downloads(input, s) };
}

const HF_NOTE = [
  "# A Hugging Face checkpoint's PyTorch code is the transformers library's own (pip install transformers):",
  '# AutoModel.from_pretrained(folder, output_attentions=True) reads the same files, and its outputs.attentions are',
  '# the weights shown here ([batch, heads, queries, keys] per layer).',
  '',
].join('\n');

function downloads(input: ModelScriptInput, s: ShownModel): ScriptDownload[] {
  const link = (label: string, f: ScriptFile) => ({ label, name: f.name, href: f.url });
  if (input.weights.url) return [link('Download weights', input.weights), ...(input.tokenizer ? [link('Download tokenizer', input.tokenizer)] : [])];
  const model = input.model as 'untrained' | 'lab';
  return [{
    label: 'Download weights',
    name: input.weights.name,
    make: async () => {
      const bytes = await sharedEngine().call('modelFile', { model, settings: s.settings, run: s.run });
      return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
    },
  }];
}
