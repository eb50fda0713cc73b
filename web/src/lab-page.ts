// Entry point of the training lab page (lab.html): one <attn-lab> that keeps its runs across reloads, with its
// configuration in the query string (?task=dates&d-model=64 ...), so a setup can be shared by link.
import './lab/attn-lab';
import { syncUrl } from './widgets/embed';

const lab = document.querySelector('attn-lab')!;
for (const [k, v] of new URLSearchParams(location.search)) lab.setAttribute(k, v);
syncUrl(lab);
