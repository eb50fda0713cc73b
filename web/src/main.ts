// Entry point of the explorer page.
import './components/attn-explorer';
