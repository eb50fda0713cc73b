// cssProps: sets inline styles through the CSSOM (element.style.setProperty), never through a `style`
// attribute, so it works under a strict Content-Security-Policy (style-src 'self'), where Lit's styleMap fails
// on first render. Keys are CSS property names in kebab-case: cssProps({ left: '4px', 'grid-template-columns': … }).
import { noChange } from 'lit';
import { Directive, PartType, directive, type AttributePart, type PartInfo } from 'lit/directive.js';

class CssPropsDirective extends Directive {
  private previous = new Set<string>();

  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ATTRIBUTE || info.name !== 'style') throw new Error('cssProps belongs in a style attribute');
  }

  render(_props: Record<string, string>) {
    return noChange;
  }

  override update(part: AttributePart, [props]: [Record<string, string>]) {
    const style = (part.element as HTMLElement).style;
    for (const name of this.previous) if (!(name in props)) style.removeProperty(name);
    for (const [name, value] of Object.entries(props)) style.setProperty(name, value);
    this.previous = new Set(Object.keys(props));
    return noChange;
  }
}

export const cssProps = directive(CssPropsDirective);
