/** Starts the local runtime in a fresh data directory and gives tests a small HTTP client for it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli } from '../../cli/main.js';
import { DemoProject, startRuntime, type Runtime, type RuntimeOptions } from '../../local/runtime.js';

export { DemoProject };

export type LocalHarness = Runtime & { dataDir: string; close(): Promise<void> };

export async function startLocal(options: RuntimeOptions = {}): Promise<LocalHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidemark-test-'));
  // A short batching window: tests wait for counts, and the 2 s of production buys nothing here.
  const runtime = await startRuntime({ port: 0, dataDir, streamBatchingWindowMs: 200, ...options });
  return {
    ...runtime,
    dataDir,
    close: async () => {
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs the `tidemark` CLI against this local runtime, with its exit code and what it printed. */
export async function tidemarkCli(local: LocalHarness, ...args: string[]) {
  const out: string[] = [];
  let err = '';
  const code = await runCli([...args, '--data-dir', local.dataDir], {
    out: (line) => out.push(line),
    err: (text) => (err += text),
    isTTY: false,
  });
  return { code, out, err };
}

export type Reply = { status: number; headers: Headers; body: any };

export async function request(
  url: string,
  init: { method?: string; key?: string; body?: unknown; gzip?: boolean; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers.authorization = `Basic ${Buffer.from(`${init.key}:`).toString('base64')}`;
  let body: Buffer | string | undefined;
  if (init.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof init.body === 'string' || Buffer.isBuffer(init.body) ? init.body : JSON.stringify(init.body);
    if (init.gzip) {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
  }
  const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Polls `probe` until it returns a value that passes `done`, or fails with the last value seen. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await probe();
  }
  return last;
}

export const dayRange = (date = new Date()) => {
  const from = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  return { from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString() };
};
