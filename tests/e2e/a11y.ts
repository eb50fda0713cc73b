// The accessibility audit of the end-to-end tests: axe-core (npm; the engine of Lighthouse's accessibility audit)
// injected into a page and its frames and run on what the page shows now, with the WCAG 2.0,
// 2.1 and 2.2 level A and AA rules and axe's best practices, on the page with its shadow roots (axe walks open
// shadow DOM) and its iframes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

// The page's package (web/), whose dev dependencies hold axe-core.
const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/package.json');
const axeSource = readFileSync(createRequire(web).resolve('axe-core/axe.min.js'), 'utf8');

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice'];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * The violations axe finds in `page` as it is now, its iframes included (run from the top, as a whole page: a rule
 * such as "the page has a level-one heading" counts the frames' content as the page's), one readable block per rule:
 * its id, impact, what it asks, and the elements with why each fails; [] when there are none. The script is
 * evaluated in each frame rather than added as a <script> tag: the gallery and the embeds forbid inline scripts
 * (their CSP), and evaluation from the test is not subject to it.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  for (const frame of page.frames()) if (!(await frame.evaluate(() => 'axe' in window))) await frame.evaluate(axeSource);
  const violations: Violation[] = await page.evaluate(
    async (tags) => {
      const w = window as any;
      // A frame has 3 minutes to answer (axe's default is 1; the gallery's eleven take longer on a busy machine).
      const r = await w.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'], iframes: true, frameWaitTime: 180000 });
      return r.violations.map((v: any) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n: any) => ({ target: n.target, failureSummary: n.failureSummary })),
      }));
    },
    AXE_TAGS,
  );
  const shown = 12; // elements listed per rule (the others are alike: a rule usually fails on a repeated part)
  // A target is a selector, or a path of selectors through frames and shadow roots.
  const name = (t: unknown): string => (Array.isArray(t) ? t.map(name).join(' >> ') : String(t));
  return violations.map((v) => [
    `${v.id} (${v.impact}) ${v.help}, ${v.nodes.length} element${v.nodes.length === 1 ? '' : 's'}:`,
    ...v.nodes.slice(0, shown).map((n) => `    ${name(n.target)}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`),
    ...(v.nodes.length > shown ? [`    … and ${v.nodes.length - shown} more`] : []),
  ].join('\n'));
}

/** Audits of several states of a page: a violation found in several of them is reported once, with where. */
export class AxeAudit {
  private found = new Map<string, string[]>();

  /** Audits `target` as it is now; `where` names the state in the report. */
  async check(page: Page, where: string) {
    for (const v of await axeViolations(page)) this.found.set(v, [...(this.found.get(v) ?? []), where]);
  }

  /** Every violation found, with the states it was found in; '' when there were none. */
  report(): string {
    return [...this.found].map(([v, where]) => `In ${where.join('; ')}:\n${v}`).join('\n');
  }

  /** Fails with the report unless no violation was found. */
  expectNone() {
    if (this.found.size) throw new Error(`axe-core found ${this.found.size} violation${this.found.size === 1 ? '' : 's'}:\n${this.report()}`);
  }
}
