/**
 * The console in a real browser (chromium from npm, driven by playwright-core) against the local
 * runtime: send a batch from the Send page, see it in Explore's chart and in Events, its sessions in
 * Explore and Devices, see the bad rows in Rejections, the Overview's figures and a refused request,
 * flip a failure switch. Screenshots go to test-artifacts/console/.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { DemoProject, startLocal, type LocalHarness } from '../helpers/local.js';

const ARTIFACTS = 'test-artifacts/console';

describe('the console', () => {
  let local: LocalHarness;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const shoot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  const open = async (hash: string) => {
    await page.goto(`${local.url}/console/${hash}`);
    await page.waitForSelector('main h1');
  };
  /** Clicks Refresh until `probe` holds: the pipeline is asynchronous, the page shows what is there now. */
  const refreshUntil = async (probe: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error('the page never showed what was expected');
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(500);
    }
  };

  /** The Overview polls every two seconds by itself: wait for it to show what is expected. */
  const refreshUntilStat = async (probe: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error('the Overview never showed what was expected');
      await page.waitForTimeout(500);
    }
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The production build, as `npm start` serves it: Vite takes NODE_ENV from the environment, and
    // vitest's NODE_ENV=test would build React's development bundle instead.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile: 'console/vite.config.ts', logLevel: 'error' });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    local = await startLocal();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await local?.close();
  });

  it('stays small: one script and one stylesheet, under 100 KB gzipped together', () => {
    const assets = readdirSync('console/dist/assets');
    expect(assets.filter((name) => name.endsWith('.js'))).toHaveLength(1);
    expect(assets.filter((name) => name.endsWith('.css'))).toHaveLength(1);
    const gzipped = assets.reduce((sum, name) => sum + gzipSync(readFileSync(`console/dist/assets/${name}`)).length, 0);
    expect(gzipped).toBeLessThan(100_000);
  });

  it('sends a batch from the Send page and shows each row’s outcome', async () => {
    await open('#/send');
    await page.selectOption('select[name=preset]', 'mixed');
    expect(await page.inputValue('textarea[name=body]')).toContain('no event name');
    // The preset's rows, composed in the editor as a user would, at times inside one 30-minute
    // session bucket (the preset's own, relative to now, can straddle two and open a second session)
    // and recent enough to move the device's live state.
    const now = Date.now();
    const bucket = Math.floor(now / 1_800_000) * 1_800_000;
    const start = now - bucket >= 180_000 ? bucket : bucket - 240_000;
    const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();
    const body = {
      events: [
        { event: 'purchase', deviceId: 'phone-linus', eventId: randomUUID(), timestamp: at(2), value: 9.99, properties: { sku: 'mug-02' } },
        { deviceId: 'phone-linus', timestamp: at(2), properties: { note: 'no event name' } },
        { event: 'app_open', deviceId: 'phone-linus', timestamp: '2020-01-01T00:00:00.000Z' },
        { event: 'app_open', deviceId: 'phone-linus', eventId: randomUUID(), timestamp: at(1) },
        'not an object',
      ],
    };
    await page.fill('textarea[name=body]', JSON.stringify(body, null, 2));
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.waitForSelector('[data-testid=send-result]');
    expect(await page.textContent('[data-testid=accepted-count]')).toBe('2');
    expect(await page.textContent('[data-testid=rejected-count]')).toBe('3');
    const reasons = await page.locator('[data-testid=row-rejections] tbody tr').allTextContents();
    expect(reasons).toHaveLength(3);
    expect(reasons.join('\n')).toContain('too_old');
    expect(reasons.join('\n')).toContain('row must be a JSON object');
    // Rows are numbered as the API numbers them (from 0), and the page says so once.
    expect(reasons.map((row) => row.match(/^\d+/)?.[0])).toEqual(['1', '2', '4']);
    expect(await page.locator('[data-testid=index-note]').count()).toBe(1);
    await shoot('send');
  });

  it('shows the batch in Explore’s chart and table, grouped by event, from a shareable URL', async () => {
    await open('#/explore?event=purchase,app_open&groupBy=event');
    const table = page.locator('[data-testid=aggregates-table] tbody');
    await refreshUntil(async () => {
      const text = (await table.allTextContents()).join(' ');
      return text.includes('purchase') && text.includes('app_open');
    });
    const rows = await table.locator('tr').allTextContents();
    expect(rows.find((row) => row.includes('purchase'))).toMatch(/purchase\s*1\s*9\.99/);
    expect(await page.locator('[data-testid=chart] [data-series=purchase] circle').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=chart] [data-series=app_open]').count()).toBe(1);
    expect(await page.inputValue('select[name=groupBy]')).toBe('event');
    await shoot('explore');
  });

  it('shows session metrics in Explore: one session of two events, no bounce, by source', async () => {
    await open('#/explore?groupBy=source');
    await refreshUntil(async () => (await page.locator('[data-testid=session-stats-sessions] .stat-value').textContent()) === '1');
    expect(await page.textContent('[data-testid=session-stats-events-per-session] .stat-value')).toBe('2.00');
    expect(await page.textContent('[data-testid=session-stats-bounce-rate] .stat-value')).toBe('0.0 %');
    const rows = await page.locator('[data-testid=session-series-table] tbody tr').allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/\(no source\)\s*1\s*60\.0 s\s*60\.0 s\s*2\.00\s*0\.0 %/);
    await shoot('explore-sessions');
  });

  it('lists the stored events with filters and shows one in full', async () => {
    await open('#/events?deviceId=phone-linus');
    const rows = page.locator('[data-testid=events-table] tbody tr');
    await refreshUntil(async () => (await rows.allTextContents()).filter((row) => row.includes('phone-linus')).length === 3);
    const names = (await rows.allTextContents()).map((row) => row.match(/(purchase|app_open|session_start)/)?.[0]);
    expect(names.sort()).toEqual(['app_open', 'purchase', 'session_start']);
    await rows.filter({ hasText: 'purchase' }).click();
    const detail = await page.textContent('[data-testid=event-detail]');
    expect(detail).toContain('"sku": "mug-02"');
    expect(detail).toContain('"sessionId"');
    await shoot('events');
  });

  it('shows the bad rows in Rejections with their reasons', async () => {
    await open('#/rejections');
    const rows = page.locator('[data-testid=rejections-table] tbody tr');
    await refreshUntil(async () => (await rows.count()) === 3 && !(await rows.first().textContent())?.includes('No rejected'));
    const text = (await rows.allTextContents()).join('\n');
    expect(text).toContain('too_old');
    expect(text).toContain('validation');
    expect(text).toContain('"note":"no event name"');
    await shoot('rejections');
  });

  it('shows the device’s live state, its session metrics and its session', async () => {
    await open('#/devices?deviceId=phone-linus');
    await page.waitForSelector('[data-testid=device-state]');
    const sessions = await page.locator('[data-testid=sessions-table] tbody tr').allTextContents();
    expect(sessions).toHaveLength(1);
    // Two events a minute apart, stored with the $session_start the pipeline made; the metrics leave that one out.
    expect(sessions[0]).toMatch(/s-[0-9a-f]+.*60\.0 s3$/);
    expect(await page.textContent('[data-testid=device-session-stats-sessions] .stat-value')).toBe('1');
    expect(await page.textContent('[data-testid=device-session-stats-events-per-session] .stat-value')).toBe('2.00');
    expect(await page.textContent('[data-testid=device-session-stats-bounce-rate] .stat-value')).toBe('0.0 %');
    await page.locator('[data-testid=sessions-table] tbody tr').first().click();
    await expect
      .poll(() => page.locator('.timeline li').allTextContents())
      .toEqual([expect.stringContaining('$session_start'), expect.stringContaining('app_open'), expect.stringContaining('purchase')]);
    await shoot('devices');
  });

  it('shows the project’s figures on the Overview: session_starts apart from counted, and a refused request with its reason', async () => {
    // A client that labels CSV as CSV: the whole request is refused, and the Overview lists why.
    const refused = await fetch(`${local.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DemoProject.writeKey}`, 'content-type': 'text/csv' },
      body: 'event,deviceId\nrefused,phone-linus\n',
    });
    expect(refused.status).toBe(415);
    await open('#/overview');
    const figure = async (testId: string) => (await page.locator(`[data-testid=${testId}] .stat-value`).textContent())?.trim();
    await refreshUntilStat(async () => (await figure('stat-counted')) === '2' && (await figure('stat-session-starts')) === '1');
    expect(await page.textContent('[data-testid=overview-project]')).toBe('demo');
    expect(await figure('stat-accepted')).toBe('2');
    expect(await figure('stat-stored')).toBe('2');
    expect(await figure('stat-rejected')).toBe('3');
    expect(await figure('stat-refused')).toBe('1');
    expect(await figure('stat-resends')).toBe('0');
    const refusals = await page.locator('[data-testid=refusals] tbody tr').allTextContents();
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain('415');
    expect(refusals[0]).toContain('unsupported_media_type');
    expect(refusals[0]).toContain('text/csv');
  });

  it('turns a failure switch on and off, and the Overview says so', async () => {
    await open('#/send');
    await page.check('input[name=processCrash]');
    await expect.poll(() => local.faults.plan.processCrash).toBe(0.3);
    await open('#/overview');
    await page.waitForSelector('[data-testid=faults-on]');
    expect(await page.textContent('[data-testid=stat-accepted]')).toContain('2');
    await shoot('overview');
    await open('#/send');
    await page.uncheck('input[name=processCrash]');
    await expect.poll(() => local.faults.plan.processCrash).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('sends the OpenPanel SDK preset to /track/batch, where all but its alias row is accepted', async () => {
    await open('#/send');
    await page.selectOption('select[name=preset]', 'openpanel');
    await page.getByText('body (POST /track/batch)').waitFor();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.waitForSelector('[data-testid=send-result]');
    expect(await page.textContent('[data-testid=accepted-count]')).toBe('6');
    expect(await page.locator('[data-testid=row-rejections] tbody tr').allTextContents()).toEqual([
      expect.stringMatching(/^6unsupported.*alias/),
    ]);
    await shoot('send-openpanel');
    expect(pageErrors).toEqual([]);
  });
});
