/**
 * The packed SDK in chromium: the installed package bundled by esbuild for the browser (its
 * `browser` entry, no Node import), served from the local runtime's origin. Events land once;
 * 10,000 events tracked offline survive a reload in IndexedDB and arrive exactly once with the
 * page's own timestamps; network and CORS failures reach onError with their kind.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { copyFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';
import { packAndInstallSdk, type InstalledSdk } from '../helpers/sdk-package.js';

type Stored = { eventId: string; timestamp: string; sessionId?: string; properties: { n: number } };
type App = {
  errors: { kind: string; message: string }[];
  ready(): Promise<boolean>;
  queued(): number;
  dropped(): number;
  flush(): Promise<void>;
  trackMany(event: string, count: number, properties?: Record<string, unknown>): Promise<string[]>;
};
declare const window: { app: App };

let local: LocalHarness;
let sdk: InstalledSdk;
let browser: Browser;
let bundle: string;
/** A server that answers everything with 200 and no CORS headers: reachable, but not for another origin's page. */
let noCors: Server;
/**
 * The app served by a real loopback server, an origin of its own. (A page that the test
 * intercepts has no address, and chromium's local network access rules then block its requests
 * to loopback before they are sent, CORS or not.)
 */
let appServer: Server;
/** A loopback port that nothing listens on (a server's, once closed). */
let closedPort: number;

beforeAll(async () => {
  sdk = packAndInstallSdk();
  copyFileSync(resolve('test/e2e/sdk-app/page.mjs'), join(sdk.appDir, 'page.mjs'));
  const built = await build({
    entryPoints: [join(sdk.appDir, 'page.mjs')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'error',
  });
  bundle = built.outputFiles[0]!.text;
  appServer = createServer((req, res) =>
    req.url?.startsWith('/sdk-app/page.js')
      ? res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
      : res.writeHead(200, { 'content-type': 'text/html' }).end(APP_HTML),
  );
  await new Promise<void>((done) => appServer.listen(0, '127.0.0.1', done));
  noCors = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((done) => noCors.listen(0, '127.0.0.1', done));
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise((done) => closed.close(done));
  local = await startLocal();
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await local?.close();
  await new Promise((done) => noCors?.close(done));
  await new Promise((done) => appServer?.close(done));
  if (sdk) rmSync(join(sdk.appDir, '..'), { recursive: true, force: true });
});

const APP_HTML = '<!doctype html><title>SDK app</title><script type="module" src="/sdk-app/page.js"></script>';

/**
 * The page, by default at the local runtime's own origin (so /v1 is same-origin, as behind the
 * console's CloudFront) by intercepting its URL; with `ownOrigin`, from the app server.
 */
async function openApp(context: BrowserContext, query: Record<string, string>, ownOrigin = false): Promise<Page> {
  const origin = ownOrigin ? `http://127.0.0.1:${(appServer.address() as AddressInfo).port}` : local.url;
  if (!ownOrigin) {
    await context.route(`${local.url}/sdk-app/**`, (route) =>
      route.fulfill(
        route.request().url().includes('/sdk-app/page.js')
          ? { contentType: 'text/javascript', body: bundle }
          : { contentType: 'text/html', body: APP_HTML },
      ),
    );
  }
  const page = await context.newPage();
  await page.goto(`${origin}/sdk-app/index.html?${new URLSearchParams(query)}`);
  await page.waitForFunction(() => 'app' in window);
  await page.evaluate(() => window.app.ready());
  return page;
}

async function storedFor(deviceId: string, event: string): Promise<Stored[]> {
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const stored: Stored[] = [];
  let cursor: string | null = null;
  do {
    const page = await request(
      `${local.url}/v1/events?deviceId=${deviceId}&event=${event}&from=${from}&to=${to}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { key: DemoProject.secretKey },
    );
    stored.push(...(page.body.events as Stored[]));
    cursor = page.body.nextCursor;
  } while (cursor);
  return stored;
}

/** The milliseconds a UUIDv7 carries: the SDK takes the id and the event's timestamp from one reading of the page's clock. */
const uuidTimeMs = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('the packed SDK in chromium', () => {
  it('bundles for the browser with no Node import', () => {
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["']node:/);
    expect(bundle).toContain('indexedDB');
  });

  it('sends events from a page; they land once', async () => {
    const context = await browser.newContext();
    const page = await openApp(context, { endpoint: local.url, writeKey: DemoProject.writeKey, deviceId: 'web-online' });
    const ids = await page.evaluate(() => window.app.trackMany('web_click', 25));
    await page.evaluate(() => window.app.flush());
    expect(await page.evaluate(() => window.app.queued())).toBe(0);
    expect(await page.evaluate(() => window.app.errors)).toEqual([]);
    const stored = await eventually(
      () => storedFor('web-online', 'web_click'),
      (s) => s.length >= 25,
    );
    expect(new Set(stored.map((e) => e.eventId))).toEqual(new Set(ids));
    await context.close();
  });

  it("keeps 10,000 events tracked offline across a reload and delivers them exactly once, with the page's own timestamps", {
    timeout: 1_200_000,
  }, async () => {
    const deviceId = 'web-offline';
    const context = await browser.newContext();
    const page = await openApp(context, { endpoint: local.url, writeKey: DemoProject.writeKey, deviceId });
    await context.setOffline(true);
    const ids: string[] = [];
    for (let round = 0; round < 10; round++) ids.push(...(await page.evaluate(() => window.app.trackMany('offline_tap', 1000))));
    expect(await page.evaluate(() => window.app.queued())).toBe(10_000);

    await page.reload();
    await page.waitForFunction(() => 'app' in window);
    await page.evaluate(() => window.app.ready());
    expect(await page.evaluate(() => window.app.queued())).toBe(10_000);

    await context.setOffline(false); // the page's 'online' handler flushes
    await page.waitForFunction(() => window.app.queued() === 0, undefined, { timeout: 300_000, polling: 500 });

    // Counters are cheap to poll; once they reach 10,000 every event is stored, and read once.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const counted = await eventually(
      async () =>
        (
          (
            await request(`${local.url}/v1/aggregates?event=offline_tap&from=${day(-1)}T00:00:00Z&to=${day(2)}T00:00:00Z`, {
              key: DemoProject.secretKey,
            })
          ).body.series as { count: number }[]
        ).reduce((n, p) => n + p.count, 0),
      (count) => count >= 10_000,
      600_000,
    );
    expect(counted).toBe(10_000);
    const stored = await storedFor(deviceId, 'offline_tap');
    expect(stored).toHaveLength(10_000);
    expect(new Set(stored.map((e) => e.eventId))).toEqual(new Set(ids));
    for (const event of stored) expect(Date.parse(event.timestamp)).toBe(uuidTimeMs(event.eventId));
    await context.close();
  });

  it("bounds a localStorage queue below the origin's quota: 3,000 events of 2 KB drop the oldest, never a QuotaExceededError", async () => {
    const context = await browser.newContext();
    const page = await openApp(context, {
      endpoint: local.url,
      writeKey: DemoProject.writeKey,
      deviceId: 'web-local-storage',
      storage: 'localStorage',
    });
    await context.setOffline(true);
    for (let round = 0; round < 3; round++) await page.evaluate(() => window.app.trackMany('big', 1000, { text: 'é'.repeat(1000) }));
    const [queued, dropped] = await page.evaluate(() => [window.app.queued(), window.app.dropped()]);
    expect(await page.evaluate(() => window.app.errors)).toEqual([]);
    expect(dropped).toBeGreaterThan(0);
    expect(queued! + dropped!).toBe(3000);
    await page.reload();
    await page.waitForFunction(() => 'app' in window);
    await page.evaluate(() => window.app.ready());
    expect(await page.evaluate(() => window.app.queued())).toBe(queued);
    await context.close();
  });

  it.each([
    ['cors', () => `http://127.0.0.1:${(noCors.address() as AddressInfo).port}`],
    ['network', () => `http://127.0.0.1:${closedPort}`],
  ])('reports a %s failure to onError and keeps the events', async (kind, endpoint) => {
    const context = await browser.newContext();
    const page = await openApp(context, { endpoint: endpoint(), writeKey: DemoProject.writeKey, deviceId: `web-${kind}` }, true);
    await page.evaluate(() => window.app.trackMany('lost?', 3));
    await page.evaluate(() => window.app.flush());
    expect(await page.evaluate(() => window.app.queued())).toBe(3);
    expect((await page.evaluate(() => window.app.errors)).map((e) => e.kind)).toEqual([kind]);
    await context.close();
  });
});
