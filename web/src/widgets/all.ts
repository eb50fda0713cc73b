// Every widget module of the bundle (each defines its custom element and registers itself).
import './registry';
import './attn-by-hand';
import './attn-positional';
import './attn-multihead';
import './attn-masks';
import './attn-batch';
import './attn-dropout-norm';
import './attn-ffn';
import './attn-block';
import './attn-train-step';
import './attn-view';
import './attn-ablation';
import './attn-neuron';
import './attn-compare';
import '../lab/attn-lab';
