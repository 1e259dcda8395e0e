/**
 * `autopilot sim scenarios/demo.yml --html FILE`, opened in a real headless browser (Debian's
 * chromium, driven by playwright-core; .ci/run installs it): the page is self-contained (nothing
 * but the file is fetched), the chart and the rollback marker are drawn where they should be, the
 * hover read-out works, and a screenshot is left in test-output/html-report.png to look at.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A browser from CHROMIUM_PATH or the usual places (`npm test` installs Debian's first: scripts/ensure-chromium.sh). */
function findChromium(): string | undefined {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ];
  return candidates.find((c): c is string => Boolean(c) && existsSync(c as string));
}
const CHROMIUM = findChromium();
// Outside CI, a machine where no browser could be installed skips this file loudly; CI (CI=true) always has one.
const SKIP = !CHROMIUM && !process.env.CI;
if (SKIP) {
  console.warn(
    '\n*** html-report: NO CHROMIUM, the page test is SKIPPED. Install one (sudo apt-get install chromium) or set CHROMIUM_PATH. ***\n',
  );
}
const OUT = path.resolve('test-output');
const HTML = path.join(OUT, 'html-report.html');
const SCREENSHOT = path.join(OUT, 'html-report.png');

let context: BrowserContext;
let page: Page;
let profile: string;
const requests: string[] = [];
const problems: string[] = [];
let stderr = '';

beforeAll(async () => {
  if (SKIP) return;
  if (!CHROMIUM) {
    throw new Error(
      'no Chromium: apt-get install -y --no-install-recommends chromium (.ci/run does), or set CHROMIUM_PATH',
    );
  }
  mkdirSync(OUT, { recursive: true });
  rmSync(HTML, { force: true });
  const code = await new Promise<number>((resolve) => {
    execFile(
      process.execPath,
      ['bin/autopilot.js', 'sim', 'scenarios/demo.yml', '--html', HTML],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, _stdout, err) => {
        stderr = err;
        resolve(error ? ((error as { code?: number }).code ?? 1) : 0);
      },
    );
  });
  expect(code).toBe(0);

  profile = mkdtempSync(path.join(tmpdir(), 'html-report-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1300, height: 900 },
  });
  // Self-contained: anything but the file itself is refused and remembered.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(pathToFileURL(HTML).href);
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe.skipIf(SKIP)('the HTML report of the demo', () => {
  it('is written where sim says, one file that fetches nothing', () => {
    expect(stderr).toContain(`The run, drawn: ${HTML}`);
    const html = readFileSync(HTML, 'utf8');
    expect(html).not.toMatch(/<(link|img|iframe)\b|<script[^>]+src=|@import|url\(https?:/);
    expect(requests).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("says each step's asked share and the share the load balancer really served", () => {
    const html = readFileSync(HTML, 'utf8');
    const steps = [...html.matchAll(/steps (10% \(served [\d.]+%\)[^<]*)/g)].map((m) => m[1]);
    expect(steps).toHaveLength(2);
    expect(steps[0]).toMatch(/^10% \(served [\d.]+%\) → 50% \(served [\d.]+%\) → 100% \(served [\d.]+%\)$/);
    expect(steps[1]).toBe('10% (served 0%)');
  });

  it('draws the running tasks per revision, primary and canary, on one time axis', async () => {
    expect(await page.title()).toBe(
      'demo, a healthy release then a crashing one, then a traffic spike · ecs-autopilot',
    );
    // Drawn twice, each at the size it is shown: the wide drawing at this width, the narrow one hidden.
    expect(await page.locator('svg.chart').count()).toBe(2);
    expect(await page.locator('svg.chart.narrow').isVisible()).toBe(false);
    const chart = page.locator('svg.chart.wide');
    await expect.poll(() => chart.count()).toBe(1);
    const box = (await chart.boundingBox())!;
    expect(box.width).toBeGreaterThan(1000);
    expect(box.height).toBeGreaterThan(400);

    const bands = await page.$$eval('svg.wide g.band', (gs) =>
      gs.map((g) => {
        const r = g.getBoundingClientRect();
        return {
          role: g.getAttribute('class'),
          revision: g.getAttribute('data-revision'),
          width: r.width,
          height: r.height,
        };
      }),
    );
    const drawn = (role: string, revision: string) =>
      bands.find((b) => b.role === `band band-${role}` && b.revision === revision);
    expect(drawn('primary', 'web:1')?.width).toBeGreaterThan(200);
    expect(drawn('primary', 'web:2')?.width).toBeGreaterThan(400);
    expect(drawn('canary', 'web:2')?.height).toBeGreaterThan(20);
    expect(drawn('canary', 'web:3')?.width).toBeGreaterThan(0);
    // Three steps of web:v2, one of web:v3; the desired count; the axis in virtual time.
    expect(await page.locator('svg.wide line.step-marker').count()).toBe(4);
    expect(await page.locator('svg.chart.wide text.pill').allTextContents()).toEqual([
      '10% asked · 20% served',
      '50% asked · 50% served',
      '100%',
      '10% asked · 20% served',
    ]);
    expect(await page.locator('svg.wide path.desired').count()).toBe(1);
    expect(await page.locator('svg.chart.wide text.axis').allTextContents()).toEqual(
      expect.arrayContaining(['+0:00', '+0:05', '+0:35', '09:05']),
    );
  });

  it('draws the rollback where it happened, with its reason', async () => {
    const marker = page.locator('svg.wide g.rollback-marker');
    expect(await marker.count()).toBe(1);
    await expect.poll(() => marker.isVisible()).toBe(true);
    expect(await marker.getAttribute('data-image')).toBe('web:v3');
    const reason = '1 new task failed: Essential container in task exited (web exit code 1)';
    expect(await marker.getAttribute('data-reason')).toBe(reason);
    // About +0:21:50: the crash event takes its delivery latency, then its invocation its calls,
    // drawn from the latency model, so the second moves with any change in what the pipeline calls.
    const title = (await marker.locator('title').textContent()) ?? '';
    const at = /^\+0:(\d\d):(\d\d) {2}web:v3 rolled back to web:2: (.*)$/.exec(title);
    expect(at, title).not.toBeNull();
    expect(at![3]).toBe(reason);
    const second = Number(at![1]) * 60 + Number(at![2]);
    expect(second).toBeGreaterThanOrEqual(21 * 60 + 45);
    expect(second).toBeLessThanOrEqual(21 * 60 + 55);
    expect(await marker.locator('text').allTextContents()).toEqual(['✕ web:v3 rolled back to web:2', reason]);
    // The line stands at that time of the 38-minute axis, right of web:v3's 10% step.
    const line = (await marker.locator('line').boundingBox())!;
    const chart = (await page.locator('svg.chart.wide').boundingBox())!;
    const left = chart.x + (chart.width * 170) / 1200;
    const plot = (chart.width * 1002) / 1200;
    expect(Math.abs(line.x + line.width / 2 - (left + (plot * second) / (38 * 60)))).toBeLessThan(3);
    const v3step = (await page.locator('svg.wide line.step-marker').nth(3).boundingBox())!;
    expect(line.x).toBeGreaterThan(v3step.x);
    // And in words: the rollout's card, and the event list.
    await expect
      .poll(() => page.locator('.card.outcome-rolled_back .card-reason').textContent())
      .toBe(reason);
    expect(await page.locator('tr.row-rolled_back').textContent()).toContain(reason);
  });

  it('draws the alarms, the notifications and the scenario steps', async () => {
    expect(await page.locator('svg.wide .alarm-name').allTextContents()).toEqual([
      'web-5xx',
      'web-cpu-high',
      'web-cpu-low',
    ]);
    expect(await page.locator('svg.wide rect.alarm-ALARM').count()).toBe(2);
    expect(await page.locator('svg.wide g.marker-scenario').count()).toBe(4);
    expect(await page.locator('svg.wide g.marker-notification').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.wide g.marker-succeeded').count()).toBe(1);
  });

  it('reads out the counts under the pointer, and leaves a screenshot', async () => {
    const hover = page.locator('svg.wide rect.hover');
    const box = (await hover.boundingBox())!;
    // +0:11:30 of 38 minutes: web:v2 being promoted (its 100 % step began at +0:10:58), web:1 still running.
    await page.mouse.move(box.x + (box.width * 11.5) / 38, box.y + box.height / 2);
    const readout = page.locator('.readout');
    await expect.poll(() => readout.isVisible()).toBe(true);
    const text = await readout.textContent();
    expect(text).toContain('web:1 web:v1 primary: 4');
    expect(text).toContain('desired (primary): 4');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(readFileSync(SCREENSHOT).length).toBeGreaterThan(50_000);
  });

  it.each([
    [1400, 'wide'],
    [800, 'narrow'],
  ])(
    'at %i px wide (the %s drawing): step labels say asked and served, the tasks at each step are written, the text is not shrunk, no label overlaps another or a marker or is cut off',
    async (width, drawing) => {
      await page.setViewportSize({ width, height: 900 });
      const svg = page.locator(`svg.chart.${drawing}`);
      expect(await svg.isVisible()).toBe(true);
      expect(await page.locator('svg.chart:visible').count()).toBe(1);
      const steps = await svg.locator('g.step-label text').allTextContents();
      expect(steps).toContain('10% asked · 20% served');
      expect(steps).toContain('50% asked · 50% served');
      expect(steps).toContain('100%');
      // The tasks per revision as each step ended, where a person reads them (not only on hover).
      expect(await svg.locator('text.step-count').allTextContents()).toEqual([
        '1 × web:2 · 4 × web:1',
        '4 × web:2 · 4 × web:1',
        '4 × web:2',
        // web:v3's canary step, counted at its rollback (+0:21:49, told straight by the task's
        // STOPPING event with its exit code, the ecs-task-failing rule): the timeline's last sample
        // before it (+0:21:49) was taken while the task still ran; the crash came within that second.
        '1 × web:3 · 4 × web:2',
      ]);
      // Every scenario step keeps its label (none dropped for want of room).
      expect(await svg.locator('g.marker-scenario + text, text.small').allTextContents()).toEqual(
        expect.arrayContaining([
          'push web:v2',
          'push web:v3',
          'load on web: 900 requests/s',
          'load on web: 60 requests/s',
        ]),
      );
      // The smallest text as the browser draws it: 10.5 px in the drawing, the smallest (the 9.5 px GATE badge) never shown below 9 px (a 1200-wide drawing at 800 px drew it at 5.8 px).
      const smallest = await svg.evaluate((el: any) => {
        const scale = el.getBoundingClientRect().width / el.viewBox.baseVal.width;
        return Math.min(
          ...[...el.querySelectorAll('text')].map(
            (t: any) => Number.parseFloat((globalThis as any).getComputedStyle(t).fontSize) * scale,
          ),
        );
      });
      expect(smallest).toBeGreaterThanOrEqual(9);
      // Every label a person reads on the chart, and every marker: their boxes, as the browser laid them out.
      const boxes = await svg.evaluate((svg: any) => {
        const frame = svg.getBoundingClientRect();
        const box = (el: any) => {
          const r = el.getBoundingClientRect();
          return {
            text: el.textContent || el.parentElement?.textContent || '',
            x: r.x,
            y: r.y,
            right: r.right,
            bottom: r.bottom,
          };
        };
        const labels = [
          ...svg.querySelectorAll(
            'g.step-label rect, g.rollback-marker rect, g.marker + text, text.small, text.bar-label',
          ),
        ];
        return {
          frame: { x: frame.x, y: frame.y, right: frame.right, bottom: frame.bottom },
          labels: labels.map(box),
          markers: [...svg.querySelectorAll('g.marker > circle, g.marker > rect, g.marker > path')].map(
            (m: any) => ({
              ...box(m),
              text: `marker ${m.parentElement.querySelector('title')?.textContent ?? ''}`,
            }),
          ),
        };
      });
      expect(boxes.labels.length).toBeGreaterThan(10);
      for (const l of boxes.labels) {
        expect({ l, inside: l.x >= boxes.frame.x - 0.5 && l.right <= boxes.frame.right + 0.5 }).toMatchObject(
          {
            inside: true,
          },
        );
        expect(l.text).not.toMatch(/…$/);
      }
      const overlaps: string[] = [];
      for (let i = 0; i < boxes.labels.length; i++) {
        for (let j = i + 1; j < boxes.labels.length; j++) {
          const a = boxes.labels[i]!;
          const b = boxes.labels[j]!;
          const inside = (p: typeof a, q: typeof a) =>
            p.x >= q.x && p.right <= q.right && p.y >= q.y && p.bottom <= q.bottom;
          if (inside(a, b) || inside(b, a)) continue; // a pill's text inside its own outline
          const w = Math.min(a.right, b.right) - Math.max(a.x, b.x);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.y, b.y);
          if (w > 0.5 && h > 0.5) overlaps.push(`"${a.text}" over "${b.text}"`);
        }
      }
      for (const l of boxes.labels) {
        for (const m of boxes.markers) {
          const w = Math.min(l.right, m.right) - Math.max(l.x, m.x);
          const h = Math.min(l.bottom, m.bottom) - Math.max(l.y, m.y);
          if (w > 0.5 && h > 0.5) overlaps.push(`"${l.text}" over ${m.text}`);
        }
      }
      expect(overlaps).toEqual([]);
      // Each marker's label beside its own marker: right of it starting within 12 px, or left of it
      // ending within 12 px (at 800 px "load on web: 60 requests/s" ended 20 px short of its marker).
      const beside = await svg.evaluate((svg: any) => {
        const frame = svg.getBoundingClientRect();
        const scale = frame.width / svg.viewBox.baseVal.width;
        return [...svg.querySelectorAll('text[data-marker-x]')].map((t: any) => {
          const r = t.getBoundingClientRect();
          const mx = frame.x + Number(t.dataset.markerX) * scale;
          const side = t.getAttribute('text-anchor') === 'end' ? 'left' : 'right';
          return { text: t.textContent, side, gap: Math.round(side === 'right' ? r.x - mx : mx - r.right) };
        });
      });
      expect(beside.map((b) => b.text)).toEqual(
        expect.arrayContaining(['load on web: 60 requests/s', '8 → 6 tasks', 'scaled', 'push web:v2']),
      );
      const far = beside.filter((b) => b.gap < 0 || b.gap > 12);
      expect(far).toEqual([]);
      await page.screenshot({ path: path.join(OUT, `html-report-${width}.png`), fullPage: true });
      await page.setViewportSize({ width: 1300, height: 900 });
    },
  );
});
