/**
 * The real `@openpanel/web` in chromium against the local runtime: the page loads the tracker
 * script exactly as a site does (the `op` snippet, then the script from the npm package), with
 * `apiUrl` pointed at Tidemark and the write key as the client id.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getInitSnippet } from '@openpanel/web';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { expectLandedOnce, offlineEvents } from '../helpers/openpanel.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

/** The script sites load (OpenPanel's `op1.js`), as the npm package ships it. */
const trackerScript = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve('@openpanel/web')), 'src', 'tracker.global.js'),
  'utf8',
);

const DEVICE = 'op-browser-1';

describe('@openpanel/web in chromium against Tidemark', () => {
  let local: LocalHarness;
  let browser: Browser;
  let page: Page;
  let site: Server;
  let siteOrigin: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    local = await startLocal();
    site = createServer(servePage);
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await openSite({ __deviceId: DEVICE });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (site) await new Promise((resolve) => site.close(resolve));
    await local?.close();
  });

  /**
   * A page of a site with the tracker, served by `site` on another origin than the API, so every
   * send the SDK makes with its custom headers is preflighted and must pass CORS. `globals` go to
   * `setGlobalProperties` right after `init`.
   */
  async function openSite(globals: Record<string, string>, userAgent?: string): Promise<Page> {
    const context = await browser.newContext(userAgent ? { userAgent } : {});
    const opened = await context.newPage();
    opened.on('pageerror', (error) => pageErrors.push(error.message));
    await opened.goto(`${siteOrigin}/?globals=${encodeURIComponent(JSON.stringify(globals))}`);
    await opened.waitForFunction(() => 'openpanel' in globalThis);
    return opened;
  }

  /** The shop's pages: the `op` snippet with `init` and the page's globals, then the tracker script. */
  function servePage(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', siteOrigin);
    if (url.pathname === '/op1.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(trackerScript);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><title>shop</title><script>${getInitSnippet()}
      window.op('init', ${JSON.stringify({ clientId: DemoProject.writeKey, apiUrl: local.url, trackScreenViews: true })});
      window.op('setGlobalProperties', ${url.searchParams.get('globals') ?? '{}'});
    </script><script src="/op1.js"></script>`);
  }

  const storedFor = async (deviceId: string) =>
    (await request(`${local.url}/v1/events?deviceId=${deviceId}&limit=100`, { key: DemoProject.secretKey })).body.events as Record<
      string,
      any
    >[];

  it('tracks the screen view and an event with properties, and identifies, all under the device it was given', async () => {
    const answers = await page.evaluate(async () => {
      const op = (globalThis as unknown as { openpanel: any }).openpanel;
      return [await op.track('web_add_to_cart', { value: 4, sku: 'tea' }), await op.identify({ profileId: 'web-ada', firstName: 'Ada' })];
    });
    expect(answers).toEqual([
      { accepted: 1, rejected: [] },
      { accepted: 1, rejected: [] },
    ]);
    const stored = await eventually(
      () => storedFor(DEVICE),
      (events) => ['screen_view', 'web_add_to_cart', 'identify'].every((name) => events.some((e) => e.event === name)),
    );
    expect(stored.find((e) => e.event === 'screen_view')).toMatchObject({
      source: 'web',
      properties: { __path: expect.stringMatching(new RegExp(`^${siteOrigin}/\\?globals=`)), __title: 'shop' },
    });
    expect(stored.find((e) => e.event === 'web_add_to_cart')).toMatchObject({
      value: 4,
      properties: { sku: 'tea' },
      context: { userAgentInfo: { browser: expect.stringMatching(/Chrom/) } },
    });
    expect(stored.find((e) => e.event === 'identify')).toMatchObject({ userId: 'web-ada', properties: { traits: { firstName: 'Ada' } } });
    expect(pageErrors).toEqual([]);
  });

  it('sends offline events with __timestamp hours back, twice: each lands once, in its own hour and session, value summed', async () => {
    const events = offlineEvents('web_offline', DEVICE, 4);
    const answers = await page.evaluate(async (buffered) => {
      const op = (globalThis as unknown as { openpanel: any }).openpanel;
      const sent = [];
      // Sent, then sent again, as an app does that never heard back the first time.
      for (const round of [1, 2]) for (const event of buffered) sent.push({ round, answer: await op.track(event.name, event.properties) });
      return sent;
    }, events);
    expect(answers.every(({ answer }) => answer.accepted === 1)).toBe(true);
    await expectLandedOnce(local.url, events);
  });

  it('gives visitors with no device one anonymous device per browser, with no IP stored', async () => {
    const visitors = [await openSite({}, 'Mozilla/5.0 visitor-a'), await openSite({}, 'Mozilla/5.0 visitor-b')];
    for (const visitor of visitors) {
      await visitor.evaluate(() => (globalThis as unknown as { openpanel: any }).openpanel.track('web_visit', { step: 1 }));
    }
    const stored = await eventually(
      async () =>
        (await request(`${local.url}/v1/events?event=screen_view&limit=100`, { key: DemoProject.secretKey })).body.events as Record<
          string,
          any
        >[],
      (events) => new Set(events.filter((e) => e.deviceId.startsWith('anon-')).map((e) => e.deviceId)).size === 2,
    );
    const visits = await eventually(
      async () =>
        (await request(`${local.url}/v1/events?event=web_visit&limit=100`, { key: DemoProject.secretKey })).body.events as Record<
          string,
          any
        >[],
      (events) => events.length === 2,
    );
    // Each browser's screen view and visit share its device; the two browsers do not.
    const anonymousViews = stored.filter((e) => e.deviceId.startsWith('anon-'));
    expect(new Set(visits.map((e) => e.deviceId))).toEqual(new Set(anonymousViews.map((e) => e.deviceId)));
    // The site itself is at 127.0.0.1, so only the page's URL (`__path`) may name the address.
    const withoutPath = [...anonymousViews, ...visits].map(({ properties: { __path: _path, ...properties }, ...event }) => ({
      ...event,
      properties,
    }));
    expect(JSON.stringify(withoutPath)).not.toContain('127.0.0.1');
    expect(pageErrors).toEqual([]);
  });
});
