/**
 * The local runtime's edge, held to what a deployed stack does: the wire limit, CORS for a page
 * on another origin (the SDK's browser build in chromium), the Host check, and engines that
 * listen on loopback only.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cors, LAMBDA_INVOKE_PAYLOAD_BYTES, Limits } from '../../resources/index.js';
import { launchChromium } from '../helpers/browser.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;

beforeAll(async () => {
  local = await startLocal();
}, 120_000);

afterAll(async () => {
  await local?.close();
});

/** A batch of `count` events whose JSON is about `bytes` long, with enough entropy that gzip does not squeeze it to nothing. */
function batchOfSize(count: number, bytes: number, tag: string) {
  const perEvent = Math.floor(bytes / count) - 200;
  const filler = (i: number) => {
    let text = '';
    let seed = i + 1;
    while (text.length < perEvent) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      text += seed % 7 === 0 ? seed.toString(36) : 'lorem ipsum ';
    }
    return text.slice(0, perEvent);
  };
  return {
    events: Array.from({ length: count }, (_, i) => ({ event: tag, deviceId: `${tag}-${i % 50}`, properties: { note: filler(i) } })),
  };
}

describe('wire limit', () => {
  it('turns away a 5 MB uncompressed body with the 413 a deployed stack gives (Lambda never sees it)', async () => {
    const body = JSON.stringify(batchOfSize(1000, 5 * 1024 * 1024, 'too_big'));
    expect(Buffer.byteLength(body)).toBeGreaterThan(5_000_000);
    const reply = await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body });
    expect(reply.status).toBe(413);
    // Base64 makes it larger than Lambda's invoke payload: API Gateway answers, not the function.
    expect(Math.ceil(Buffer.byteLength(body) / 3) * 4).toBeGreaterThan(LAMBDA_INVOKE_PAYLOAD_BYTES);
    expect(reply.body).toEqual({ message: 'Request Too Long' });
  });

  it("answers a body just over maxWireBytes, that still fits an invocation, with the function's 413 naming the limit", async () => {
    const body = `${' '.repeat(Limits.maxWireBytes + 1 - 2)}[]`;
    const reply = await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body });
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ error: 'payload_too_large', limit: 'maxWireBytes', max: Limits.maxWireBytes });
    expect(reply.body.message).toContain(String(Limits.maxWireBytes));
  });

  it('accepts a 9 MB batch gzipped to about 1 MB, since 10 MB is the limit after decompression', async () => {
    const batch = batchOfSize(2000, 9 * 1024 * 1024, 'gzipped_big');
    const json = JSON.stringify(batch);
    const gzipped = gzipSync(json);
    expect(Buffer.byteLength(json)).toBeGreaterThan(9_000_000);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(Limits.maxRequestBytes);
    expect(gzipped.length).toBeLessThan(Limits.maxWireBytes);
    const reply = await request(`${local.url}/v1/batch`, {
      key: DemoProject.writeKey,
      body: gzipped,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ accepted: 2000, rejected: [] });
  });
});

describe('response limit', () => {
  it('stops a /v1/events page before 5 MiB and hands back a cursor that reaches every event', async () => {
    const deviceId = `big-events-${Date.now()}`;
    const note = (i: number) => `${i}:`.padEnd(60 * 1000, 'x');
    for (const half of [0, 1]) {
      const events = Array.from({ length: 55 }, (_, j) => ({ event: 'big_page', deviceId, properties: { note: note(half * 55 + j) } }));
      const reply = await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body: { events } });
      expect(reply.body).toEqual({ accepted: 55, rejected: [] });
    }
    const query = `${local.url}/v1/events?deviceId=${deviceId}&event=big_page&limit=500`;
    const readAllPages = async () => {
      const pageBytes: number[] = [];
      const notes = new Set<string>();
      let cursor: string | null = null;
      do {
        const reply = await request(cursor ? `${query}&cursor=${encodeURIComponent(cursor)}` : query, { key: DemoProject.secretKey });
        expect(reply.status).toBe(200);
        pageBytes.push(Buffer.byteLength(JSON.stringify(reply.body)));
        for (const e of reply.body.events) notes.add(e.properties.note.split(':')[0]);
        cursor = reply.body.nextCursor;
      } while (cursor);
      return { pageBytes, notes };
    };
    const { pageBytes, notes } = await eventually(readAllPages, (read) => read.notes.size === 110, 150_000);
    expect(pageBytes.length).toBeGreaterThanOrEqual(2);
    for (const bytes of pageBytes) expect(bytes).toBeLessThanOrEqual(Limits.maxResponseBytes + 1024);
    expect(notes.size).toBe(110);
  }, 200_000);
});

describe('CORS', () => {
  let page: Server;
  let pageOrigin: string;
  let sdkBundle: string;

  beforeAll(async () => {
    const bundled = await build({
      entryPoints: [new URL('../../sdk/src/index.ts', import.meta.url).pathname],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      // fileStorage imports node:fs lazily; a browser page never calls it.
      external: ['node:*'],
      write: false,
    });
    sdkBundle = bundled.outputFiles[0]!.text;
    page = createServer((req, res) => {
      if (req.url === '/sdk.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end(sdkBundle);
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>shop</title><p>another origin</p>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    const address = page.address();
    pageOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    if (page) await new Promise((resolve) => page.close(resolve));
  });

  it('answers a preflight on a public write route with the allowed methods and headers', async () => {
    const response = await fetch(`${local.url}/v1/batch`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:1',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toBe(Cors.allowMethods.join(','));
    expect(response.headers.get('access-control-allow-headers')!.split(',')).toEqual([...Cors.allowHeaders]);
  });

  it('lets a page on another origin send a batch with the SDK browser build, and it lands', async () => {
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(`${pageOrigin}/`);
      const deviceId = `cors-device-${Date.now()}`;
      // A string, so the test runner's module transform leaves the page's own dynamic import alone.
      const outcome = (await tab.evaluate(`(async () => {
        const { Tidemark, memoryStorage } = await import('/sdk.js');
        const errors = [];
        const client = new Tidemark({
          endpoint: ${JSON.stringify(local.url)}, writeKey: ${JSON.stringify(DemoProject.writeKey)}, deviceId: ${JSON.stringify(deviceId)},
          storage: memoryStorage(), flushAt: 1000, onError: (e) => errors.push(e.message),
        });
        await client.track('cors_purchase', { value: 3 });
        await client.track('cors_purchase', { value: 4 });
        await client.flush();
        const queued = client.queued;
        await client.shutdown();
        return { queued, errors, origin: location.origin };
      })()`)) as { queued: number; errors: string[]; origin: string };
      expect(outcome.origin).not.toBe(local.url);
      expect(outcome.errors).toEqual([]);
      expect(outcome.queued).toBe(0);
      const stored = await eventually(
        () => request(`${local.url}/v1/events?deviceId=${deviceId}&event=cors_purchase`, { key: DemoProject.secretKey }),
        (reply) => reply.status === 200 && reply.body.events.length === 2,
      );
      expect(stored.body.events.map((e: { event: string }) => e.event)).toEqual(['cors_purchase', 'cors_purchase']);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('Host check', () => {
  const withHost = (host: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${local.url}/health`);
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('refuses a request whose Host is not this machine, as a DNS-rebinding page would send', async () => {
    const refused = await withHost('attacker.example:3000');
    expect(refused.status).toBe(421);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'misdirected_request' });
  });

  it.each(['127.0.0.1', 'localhost', '[::1]'])('answers a request whose Host is %s', async (name) => {
    const port = new URL(local.url).port;
    expect((await withHost(`${name}:${port}`)).status).toBe(200);
  });
});

describe('engines', () => {
  /** Sockets in LISTEN state of this process and its children, from /proc (Linux). */
  function listeningSockets(): { address: string; port: number }[] {
    const pids = [String(process.pid)];
    for (let i = 0; i < pids.length; i++) {
      for (const task of readdirSync(`/proc/${pids[i]}/task`)) {
        const children = readFileSync(`/proc/${pids[i]}/task/${task}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(/\s+/));
      }
    }
    const inodes = new Set<string>();
    for (const pid of pids) {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
          if (match) inodes.add(match[1]!);
        } catch {
          // the descriptor closed while we looked
        }
      }
    }
    const sockets: { address: string; port: number }[] = [];
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        const [hexAddress, hexPort] = fields[1]!.split(':');
        if (fields[3] !== '0A' || !inodes.has(fields[9]!)) continue; // 0A = LISTEN
        sockets.push({ address: decodeAddress(hexAddress!), port: parseInt(hexPort!, 16) });
      }
    }
    return sockets;
  }

  /** /proc/net addresses are little-endian per 32-bit word. */
  function decodeAddress(hex: string): string {
    const words = hex
      .toLowerCase()
      .match(/.{8}/g)!
      .map((word) => word.match(/../g)!.reverse().join(''));
    if (words.length === 1)
      return words[0]!
        .match(/../g)!
        .map((byte) => parseInt(byte, 16))
        .join('.');
    if (words.slice(0, 2).join('') === '0'.repeat(16) && words[2] === '0000ffff') {
      return `::ffff:${words[3]!
        .match(/../g)!
        .map((byte) => parseInt(byte, 16))
        .join('.')}`;
    }
    return words
      .join('')
      .replace(/(.{4})/g, '$1:')
      .slice(0, -1);
  }

  const isLoopback = (address: string) =>
    /^127\./.test(address) || /^::ffff:127\./.test(address) || address === '0000:0000:0000:0000:0000:0000:0000:0001';

  it('binds DynamoDB Local, fauxqs and the API to loopback addresses only', () => {
    const sockets = listeningSockets();
    const ports = [local.dynamodbEndpoint, local.sqsEndpoint, local.url].map((endpoint) => Number(new URL(endpoint).port));
    for (const port of ports) expect(sockets.map((s) => s.port)).toContain(port);
    for (const socket of sockets) expect(isLoopback(socket.address), `${socket.address}:${socket.port}`).toBe(true);
  });
});
