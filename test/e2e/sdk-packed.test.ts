/**
 * The SDK as an app installs it: packed with `npm pack`, installed from the tarball into an empty
 * app, run by plain Node through require() and import against the local runtime. What landed is
 * read back through /v1/events and /v1/aggregates; `value` sums must equal the ground truth.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';
import { packAndInstallSdk, type InstalledSdk } from '../helpers/sdk-package.js';

/**
 * TypeScript apps, type-checked against the installed declarations (kept here as text: they only
 * compile inside the app). The expected errors prove the types are not \`any\`.
 */
const TYPED_APPS = {
  'typed.mts': `import { Tidemark, memoryStorage, type TidemarkError } from '@tidemark/sdk';
const client: Tidemark = new Tidemark({ endpoint: 'http://127.0.0.1:3000', writeKey: 'k', storage: memoryStorage(), source: 'web' });
export const kind: TidemarkError['kind'] = 'cors';
// @ts-expect-error an event name is a string
void client.track(42);
// @ts-expect-error not an error kind
export const wrong: TidemarkError['kind'] = 'oops';
`,
  'typed.cts': `import sdk = require('@tidemark/sdk');
const client = new sdk.Tidemark({ endpoint: 'http://127.0.0.1:3000', writeKey: 'k', storage: sdk.memoryStorage(), maxAttempts: 3 });
// @ts-expect-error value is a number
void client.track('purchase', {}, { value: '12' });
export = client;
`,
};

type Call = { event: string; properties: Record<string, unknown>; options?: { value?: number } };
type Stored = {
  eventId: string;
  event: string;
  value?: number;
  source?: string;
  sessionId?: string;
  timestamp: string;
  properties: Record<string, unknown>;
};

let local: LocalHarness;
let sdk: InstalledSdk;
const scratch = mkdtempSync(join(tmpdir(), 'tidemark-sdk-run-'));

beforeAll(async () => {
  sdk = packAndInstallSdk();
  for (const app of ['track.cjs', 'track.mjs']) copyFileSync(resolve('test/e2e/sdk-app', app), join(sdk.appDir, app));
  local = await startLocal();
}, 300_000);
afterAll(async () => {
  await local?.close();
  rmSync(join(sdk.appDir, '..'), { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** Values within the API's numeric contract (|v| ≤ 1e12, 6 decimals), sent as the ways an app would. */
const calls = (event: string, seed: number): Call[] =>
  fc.sample(
    fc
      .tuple(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.integer({ min: 0, max: 5 }), fc.nat({ max: 3 }))
      .map(([units, scale, way]): Call => {
        const value = units / 10 ** scale;
        if (way === 0) return { event, properties: { sku: 'A-1', value } };
        if (way === 1) return { event, properties: { revenue: String(value), currency: 'EUR' } };
        if (way === 2) return { event, properties: { price: value, note: 'price#1 ünïcode' } };
        return { event, properties: { value: 'not a number' }, options: { value } };
      }),
    { numRuns: 150, seed },
  );

/** Sum in integer micro-units, the API's own precision: the ground truth is exact. */
const microSum = (values: number[]) => values.reduce((sum, v) => sum + BigInt(Math.round(v * 1e6)), 0n);
const valueOfCall = (call: Call) =>
  call.options?.value ?? Number(call.properties.value ?? call.properties.revenue ?? call.properties.price);

/** Runs an app to completion. Asynchronously: the local runtime answering it lives in this process. */
async function runApp(
  app: string,
  env: Record<string, string>,
  callList: Call[],
): Promise<{ ids: string[]; queued: number; errors: string[] }> {
  const callsFile = join(scratch, `${env.DEVICE_ID}.json`);
  writeFileSync(callsFile, JSON.stringify(callList));
  const { stdout } = await promisify(execFile)(process.execPath, [app], {
    cwd: sdk.appDir,
    env: {
      PATH: process.env.PATH,
      CALLS_FILE: callsFile,
      QUEUE_DIR: join(scratch, env.DEVICE_ID!),
      ENDPOINT: local.url,
      WRITE_KEY: DemoProject.writeKey,
      ...env,
    },
  });
  return JSON.parse(stdout);
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

async function aggregate(event: string, groupBy = 'none'): Promise<{ count: number; sum: number; source?: string }[]> {
  const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const to = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  const r = await request(
    `${local.url}/v1/aggregates?event=${event}&from=${from}T00:00:00Z&to=${to}T00:00:00Z&granularity=day&groupBy=${groupBy}`,
    { key: DemoProject.secretKey },
  );
  expect(r.status).toBe(200);
  return r.body.series;
}

describe('the packed SDK', () => {
  it('ships only what users need: built JavaScript for ESM and CommonJS, declarations and the README', () => {
    expect(sdk.files).toContain('README.md');
    expect(sdk.files).toContain('package.json');
    for (const format of ['esm', 'cjs']) {
      for (const entry of ['index.node', 'index.browser', 'index.react-native']) {
        expect(sdk.files).toContain(`dist/${format}/${entry}.js`);
        expect(sdk.files).toContain(`dist/${format}/${entry}.d.ts`);
      }
    }
    const unexpected = sdk.files.filter(
      (f) =>
        !(f === 'README.md' || f === 'package.json' || /^dist\/(esm|cjs)\/[\w/.-]+\.(js|d\.ts)$/.test(f) || f === 'dist/cjs/package.json'),
    );
    expect(unexpected).toEqual([]);
    console.info(`packed: ${sdk.packedBytes} bytes, unpacked ${sdk.unpackedBytes} bytes, ${sdk.files.length} files`);
  });

  it('gives TypeScript apps declarations for import and require', () => {
    const tsc = resolve('node_modules/typescript/bin/tsc');
    const check = (file: string) =>
      execFileSync(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          '--lib',
          'es2022,dom',
          file,
        ],
        { cwd: sdk.appDir, encoding: 'utf8' },
      );
    for (const [file, source] of Object.entries(TYPED_APPS)) {
      writeFileSync(join(sdk.appDir, file), source);
      expect(() => check(file)).not.toThrow();
    }
  });

  it.each([
    ['CommonJS (require)', 'track.cjs', 'sdk_cjs', 1],
    ['ESM (import)', 'track.mjs', 'sdk_esm', 2],
  ])('runs in plain Node through %s: every event lands once, and value sums equal the ground truth', async (_format, app, event, seed) => {
    const callList = calls(event, seed);
    const deviceId = `node-${event}`;
    const result = await runApp(app, { DEVICE_ID: deviceId, SOURCE: `node-${seed}` }, callList);
    expect(result.errors).toEqual([]);
    expect(result.queued).toBe(0);
    expect(result.ids).toHaveLength(callList.length);

    const expectedMicro = microSum(callList.map(valueOfCall));
    const series = await eventually(
      () => aggregate(event),
      (s) => s.reduce((n, p) => n + p.count, 0) >= callList.length,
      60_000,
    );
    expect(series.reduce((n, p) => n + p.count, 0)).toBe(callList.length);
    expect(microSum(series.map((p) => p.sum))).toBe(expectedMicro);

    const stored = await storedFor(deviceId, event);
    expect(new Set(stored.map((e) => e.eventId))).toEqual(new Set(result.ids));
    expect(stored.every((e) => e.source === `node-${seed}`)).toBe(true);
    expect(new Set(stored.map((e) => e.sessionId)).size).toBe(1);
    const bySource = await aggregate(event, 'source');
    expect(new Set(bySource.map((p) => p.source))).toEqual(new Set([`node-${seed}`]));
  });
});
