import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';

export const VIEWPORT = { width: 1440, height: 900 };

type Problem = string;

/** One element's visible box that runs past the viewport's right edge. */
type Overflow = { element: string; right: number };

/**
 * Every visible element whose box extends past the right edge. Ancestors that
 * scroll or hide their overflow do not count as clipping it: content a card
 * cuts off or an inner scroller hides is past the edge for a reader too.
 */
export async function overflowingElements(page: Page): Promise<Overflow[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found: { element: string; right: number }[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const style = getComputedStyle(el);
      if (style.visibility !== 'visible' || style.display === 'none') continue;
      if (Number(style.opacity) === 0) continue;
      const box = el.getBoundingClientRect();
      if (box.width < 1 || box.height < 1) continue;
      const right = box.right;
      if (right <= width + 0.5) continue;
      // Report the outermost offender only, not each of its descendants.
      if (found.some(f => (f as any).node?.contains(el))) continue;
      const text = (el.textContent ?? '').trim().slice(0, 40);
      const cls = (el.getAttribute('class') ?? '').split(/\s+/)[0];
      const entry = {
        element: `<${el.tagName.toLowerCase()}${cls ? ` class="${cls}"` : ''}> "${text}"`,
        right: Math.round(right),
      };
      Object.defineProperty(entry, 'node', { value: el, enumerable: false });
      found.push(entry);
    }
    return found.slice(0, 8);
  });
}

/**
 * Watches one page for what a step must not produce: console errors (React's
 * and MUI's warnings arrive as errors in development), uncaught exceptions and
 * failed requests. A step names the failures it expects.
 */
export class PageWatch {
  private problems: { text: string; subject?: string }[] = [];

  constructor(
    page: Page,
    private readonly log?: (line: string) => void,
  ) {
    page.on('console', msg => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        const text = msg.text();
        // Chromium logs every failed request as well; those are judged below.
        if (/^Failed to load resource/.test(text)) return;
        // React Router's notices about its next major version are not ours.
        if (/React Router Future Flag Warning/.test(text)) return;
        // React 18.3 deprecates findDOMNode, which Material UI 4's ButtonBase
        // (inside Backstage's own components) calls; nothing in the app can change that.
        // Likewise defaultProps on function components, which material-table
        // and other libraries Backstage's own components use still set.
        if (
          /findDOMNode is deprecated|Support for defaultProps will be removed/.test(
            text,
          ) &&
          /^\s*at \S+ \([^)]*node_modules\//m.test(text)
        )
          return;
        if (msg.type() === 'warning' && !/^Warning:|Material-UI|MUI/.test(text))
          return;
        // The first lines say what; the whole text, component stack included, goes to the log.
        const what = text.split('\n').slice(0, 3).join(' | ');
        this.problems.push({
          text: `console ${msg.type()}: ${what}`,
          subject: text,
        });
        this.log?.(`${msg.type()}: ${text}\n`);
        // React passes its details as arguments after a format string.
        Promise.all(
          msg
            .args()
            .map(a =>
              a.jsonValue().catch((e: Error) => `(unreadable: ${e.message})`),
            ),
        )
          .then(args =>
            this.log?.(`  arguments: ${args.slice(1).join(' ¦ ')}\n`),
          )
          .catch((e: Error) =>
            this.log?.(`  arguments unreadable: ${e.message}\n`),
          );
      }
    });
    page.on('pageerror', e =>
      this.problems.push({ text: `uncaught: ${e.message}` }),
    );
    page.on('requestfailed', req => {
      const why = req.failure()?.errorText ?? '';
      // A navigation cancels the previous page's requests; that is no failure.
      if (why === 'net::ERR_ABORTED') return;
      this.problems.push({
        text: `request failed: ${req.method()} ${req.url()} ${why}`,
        subject: req.url(),
      });
    });
    page.on('response', res => {
      if (res.status() >= 400) {
        this.problems.push({
          text: `HTTP ${res.status()}: ${res.request().method()} ${res.url()}`,
          subject: res.url(),
        });
      }
    });
  }

  /** The problems since the last call, less those the step expects. */
  take(expected: RegExp[] = []): Problem[] {
    const all = this.problems;
    this.problems = [];
    return all
      .filter(p => !expected.some(e => e.test(p.subject ?? p.text)))
      .map(p => p.text);
  }
}

export type Step = {
  /** Names the screenshot: NN-name.png. */
  name: string;
  /** The step's main action (or content): it must be visible in the viewport. */
  main: Locator;
  /** Requests the step expects to fail, by URL. */
  expectedFailures?: RegExp[];
  /** Console warnings of Backstage's own pages that the step tolerates, by text. */
  knownWarnings?: RegExp[];
};

/**
 * A journey through the portal: each step waits for its main action, saves a
 * screenshot and checks the page as a user at 1440×900 would see it.
 */
export class Journey {
  private count = 0;
  private failures: string[] = [];
  readonly watch: PageWatch;

  constructor(
    readonly page: Page,
    readonly dir: string,
  ) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const consoleLog = path.join(dir, 'console.log');
    this.watch = new PageWatch(page, line =>
      fs.appendFileSync(consoleLog, line),
    );
  }

  async check(step: Step): Promise<void> {
    const { page } = this;
    this.count += 1;
    const file = path.join(
      this.dir,
      `${String(this.count).padStart(2, '0')}-${step.name}.png`,
    );
    const failures: string[] = [];
    let shown = true;
    try {
      await step.main.first().waitFor({ state: 'visible', timeout: 30_000 });
      // Let late requests (lazy cards, entity lookups) land before judging.
      await page
        .waitForLoadState('networkidle', { timeout: 15_000 })
        .catch((e: Error) => {
          // A page that keeps polling never idles: judge it as it is then.
          if (e.name !== 'TimeoutError') throw e;
        });
      await page.waitForTimeout(300);
      // A list that re-renders (a search settling) may replace the element just found.
      let box = await step.main.first().boundingBox();
      for (let i = 0; i < 5 && !box; i++) {
        await step.main.first().waitFor({ state: 'visible', timeout: 10_000 });
        box = await step.main.first().boundingBox();
      }
      if (
        !box ||
        box.x < 0 ||
        box.y < 0 ||
        box.x + box.width > VIEWPORT.width ||
        box.y + box.height > VIEWPORT.height
      ) {
        failures.push(
          `the main action is not inside the viewport (box ${JSON.stringify(box)})`,
        );
      }
      for (const o of await overflowingElements(page)) {
        failures.push(
          `${o.element} extends to x=${o.right}, past the viewport's ${VIEWPORT.width}`,
        );
      }
    } catch (e) {
      shown = false;
      failures.push(`the main action never showed: ${(e as Error).message}`);
    }
    await page.screenshot({ path: file });
    failures.push(
      ...this.watch.take([
        ...(step.expectedFailures ?? []),
        ...(step.knownWarnings ?? []),
      ]),
    );
    if (!failures.length) return;
    const report = `Step ${step.name} (${page.url()}, screenshot ${file}):\n- ${failures.join('\n- ')}`;
    if (shown) {
      // The journey goes on; done() reports every step's problems at once.
      this.failures.push(report);
      return;
    }
    const body = await page
      .innerText('body')
      .catch((e: Error) => `(the page could not be read: ${e.message})`)
      .then(t => t.slice(0, 1500));
    throw new Error(`${report}\nThe page said:\n${body}`);
  }

  /** Fails with every problem the steps so far found. */
  done(): void {
    const all = this.failures;
    this.failures = [];
    if (all.length) throw new Error(all.join('\n\n'));
  }
}
