// The models the page offers: the three the project trained (files under models/<id>/, copied to the site's
// models/<id>/ by tools/build.sh), the untrained toy model built from the controls, and a model trained in the
// training lab (offered only when the page is opened from the lab: ?m=lab&run=<id>), and a Hugging Face checkpoint
// the user opened (offered once one is open or linked: ?m=hf&hf=<id or folder>; models/hf.ts).
export type ModelId = 'lm' | 'tagger' | 'dates' | 'untrained' | 'lab' | 'hf';

export interface ModelInfo {
  id: ModelId;
  title: string;
  kind: string;      // the architecture, in words
  summary: string;   // one sentence for the picker
  example: string;   // the text preloaded when the model is picked
  trained: boolean;
}

export const MODELS: ModelInfo[] = [
  {
    id: 'lm',
    title: 'Language model',
    kind: 'decoder-only, causal (GPT-style)',
    summary: 'Predicts the next word. Each token attends only to itself and the tokens before it.',
    example: "The animal didn't cross the street because it was too",
    trained: true,
  },
  {
    id: 'tagger',
    title: 'Part-of-speech tagger',
    kind: 'encoder-only, bidirectional (BERT-style)',
    summary: 'Tags every word (noun, verb, adjective, …). Every token sees the whole sentence.',
    example: 'She will book a flight after she reads the book.',
    trained: true,
  },
  {
    id: 'dates',
    title: 'Date translator',
    kind: 'encoder-decoder, character level',
    summary: 'Rewrites a date as YYYY-MM-DD. Cross-attention shows which characters each output reads.',
    example: 'Monday, November 23, 2026',
    trained: true,
  },
  {
    id: 'untrained',
    title: 'Untrained',
    kind: 'random weights, your choice of size',
    summary: 'Seeded random weights: the structure of attention without meaning. Change every setting.',
    example: "The animal didn't cross the street because it was too tired.",
    trained: false,
  },
  {
    id: 'lab',
    title: 'Your model',
    kind: 'trained in the training lab',
    summary: 'A model you trained in the training lab, on its task. Type an input in the task’s format.',
    example: '',
    trained: true,
  },
  {
    id: 'hf',
    title: 'Hugging Face model',
    kind: 'a real checkpoint, from your files',
    summary: 'A pretrained checkpoint from the Hugging Face Hub (GPT-2, BERT, DistilBERT or MarianMT), run by the engine in this page.',
    example: '',
    trained: true,
  },
];

/** The models the picker shows: the lab's only when a lab run was opened, a Hugging Face one when one is open. */
export function pickable(labRun?: string, hf?: string): ModelInfo[] {
  return MODELS.filter((m) => (m.id !== 'lab' || !!labRun) && (m.id !== 'hf' || !!hf));
}

export function modelInfo(id: ModelId): ModelInfo {
  return MODELS.find((m) => m.id === id) ?? MODELS[0];
}

// The 12 universal part-of-speech tags of the tagger, with a short gloss for tooltips.
export const TAGS: { tag: string; gloss: string }[] = [
  { tag: 'NOUN', gloss: 'noun' },
  { tag: 'VERB', gloss: 'verb' },
  { tag: 'ADJ', gloss: 'adjective' },
  { tag: 'ADV', gloss: 'adverb' },
  { tag: 'PRON', gloss: 'pronoun' },
  { tag: 'DET', gloss: 'determiner, article' },
  { tag: 'ADP', gloss: 'adposition (preposition)' },
  { tag: 'NUM', gloss: 'numeral' },
  { tag: 'CONJ', gloss: 'conjunction' },
  { tag: 'PRT', gloss: 'particle' },
  { tag: '.', gloss: 'punctuation' },
  { tag: 'X', gloss: 'other' },
];
