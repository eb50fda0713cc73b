// attn-widgets.js: the embeddable bundle. One ES module that defines every teaching widget as a custom element;
// the engine (engine/), the models (models/) and the worker (assets/) sit next to it. Include it once:
//   <script type="module" src="/path/to/attn-widgets.js"></script>
//   <attn-by-hand></attn-by-hand>
// On embed.html (the iframe form) it also builds the widget named in the query string (?w=attn-by-hand&...).
import { setAssetBase } from '../engine/shared';
import { mountFromQuery } from './embed';

// The built bundle sits at the root of the site folder; in development the page's own folder is the root.
if (!import.meta.env.DEV) setAssetBase(import.meta.url); // its folder

import './all';

if (document.documentElement.dataset.attnEmbed !== undefined) mountFromQuery();
