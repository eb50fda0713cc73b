// Every widget of the bundle, by tag. Importing this module defines them all.
export const WIDGETS: { tag: string; title: string }[] = [];

/** Called by each widget module at load: keeps the list the embed page and the gallery use. */
export function registerWidget(tag: string, title: string) {
  if (!WIDGETS.some((w) => w.tag === tag)) WIDGETS.push({ tag, title });
}
