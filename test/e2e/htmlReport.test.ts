// Opens the fixture report in a real headless Chromium: the only way to know the inlined chart library, the
// embedded data and the drawing code actually work together.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { writeRunReports } from '../../src/report/writeReports.js';
import { buildSampleRun } from '../fixtures/sampleRun.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = 'docs/report-screenshot.png';

let workDir: string;
let browser: BrowserContext;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];
const run = buildSampleRun();

before(async () => {
  // CI installs it (scripts/install-chromium.sh); a missing browser must not look like a passing test.
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-chromium.sh (apt-get install chromium)`);
  workDir = await mkdtemp(join(tmpdir(), 'html-report-'));
  const { html } = await writeRunReports(workDir, run);
  // A fresh, empty profile per run: no state from earlier runs or the machine's own browser.
  browser = await chromium.launchPersistentContext(join(workDir, 'profile'), {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
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
  });
  page = await browser.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (req) => {
    if (!req.url().startsWith('file:')) requests.push(req.url());
  });
  await page.goto(pathToFileURL(html).href);
  await page.waitForFunction(() => window.__reportReady === true, undefined, { timeout: 15_000 });
});

after(async () => {
  await browser?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

test('the report renders without console errors or network requests', () => {
  assert.deepEqual(problems, []);
  assert.deepEqual(requests, []);
});

test('every chart has a canvas and data points in every series', async () => {
  const charts = await page.evaluate(() => window.__charts ?? []);
  assert.deepEqual(
    charts.map((c) => c.id),
    ['throughput', 'write-latency', 'read-latency', 'errors', 'loader'],
  );
  for (const chart of charts) {
    const canvases = await page.locator(`#chart-${chart.id} canvas`).count();
    assert.equal(canvases, 1, `chart ${chart.id} has a canvas`);
    assert.ok(chart.points.length > 0, `chart ${chart.id} has series`);
    for (const n of chart.points) assert.equal(n, run.intervals.length, `chart ${chart.id}: a point per interval`);
  }
});

test('plots line up, so one moment sits at the same x on every chart', async () => {
  const boxes = await page.$$eval('.u-over', (els) =>
    els.map((e) => e.getBoundingClientRect()).map((r) => [r.left, r.width]),
  );
  assert.equal(boxes.length, 5);
  for (const box of boxes) assert.deepEqual(box, boxes[0]);
});

test('each chart shades every phase, resizing ones distinctly', async () => {
  const phases = run.summary.phases;
  const resizing = phases.filter((p) => p.phase.kind === 'resizing').length;
  for (const id of ['throughput', 'write-latency', 'read-latency', 'errors', 'loader']) {
    assert.equal(await page.locator(`#chart-${id} .phase-band`).count(), phases.length, `bands on ${id}`);
    assert.equal(await page.locator(`#chart-${id} .phase-resizing`).count(), resizing, `resizing bands on ${id}`);
    const widths = await page
      .locator(`#chart-${id} .phase-band`)
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    for (const w of widths) assert.ok(w > 10, `band on ${id} is visible (width ${w})`);
  }
  assert.ok((await page.locator('#chart-throughput .event-marker').count()) > 0, 'event markers drawn');
});

test('the summary table has one row per phase, and the verdict is shown', async () => {
  assert.equal(await page.locator('#table-phases tbody tr').count(), run.summary.phases.length);
  assert.equal((await page.locator('#verdict').innerText()).split('\n')[0], 'FAIL');
});

// Not a check, so it is registered only when asked for: a normal run reports no skipped test.
if (process.env.UPDATE_SCREENSHOT === '1') {
  test('screenshot for the README', async () => {
    await mkdir('docs', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
}
