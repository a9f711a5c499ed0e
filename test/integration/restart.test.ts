/**
 * `npm start` never loses what it accepted. A terminal's Ctrl-C (SIGINT to the whole foreground
 * process group) with a backlog drains it before stopping; a `kill -9` with a backlog and a message
 * in the DLQ loses neither: the next start on the same data directory processes the backlog and the
 * DLQ still holds its message. Every event is stored and counted once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { freePort } from '../../local/engines.js';
import { RUNTIME_FILE, type RuntimeOutputs } from '../../local/runtime.js';
import { DemoProject, eventually, request } from '../helpers/local.js';

const EVENTS = 2000;
const dataDir = mkdtempSync(join(tmpdir(), 'tidemark-restart-'));
const started: ChildProcess[] = [];

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

type Started = { child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> };

/** `npm start` in its own process group, as a terminal runs it, on the shared data directory. */
async function startTidemark(): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, PORT: String(port), TIDEMARK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!stdout.includes('ready at') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  expect(stdout, stderr).toContain('ready at');
  return { child, url: `http://127.0.0.1:${port}`, stderr: () => stderr, exited };
}

const batchOf = (event: string) => ({
  events: Array.from({ length: EVENTS }, (_, i) => ({
    event,
    deviceId: `restart-device-${i % 200}`,
    eventId: `${event}-${i}`,
    properties: { i, note: 'é#' },
  })),
});

const range = () => ({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() });

const countedOf = async (url: string, event: string) => {
  const { from, to } = range();
  const reply = await request(`${url}/v1/aggregates?event=${event}&from=${from}&to=${to}&granularity=day`, { key: DemoProject.secretKey });
  return (reply.body.series as { count: number }[]).reduce((sum, point) => sum + point.count, 0);
};

const storedIdsOf = async (url: string, event: string) => {
  const { from, to } = range();
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const reply = await request(
      `${url}/v1/events?event=${event}&from=${from}&to=${to}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { key: DemoProject.secretKey },
    );
    for (const stored of reply.body.events as { eventId: string }[]) ids.add(stored.eventId);
    cursor = reply.body.nextCursor ?? undefined;
  } while (cursor);
  return ids;
};

const dlqCount = async () => {
  const lines: string[] = [];
  const code = await runCli(['--data-dir', dataDir, 'dlq', 'inspect'], {
    out: (line) => lines.push(line),
    err: () => undefined,
    isTTY: false,
  });
  expect(code).toBe(0);
  return Number(/^(\d+) messages in the DLQ/.exec(lines[0] ?? '')?.[1]);
};

describe('npm start with a backlog', () => {
  it('drains on Ctrl-C, and after kill -9 restores the backlog and the DLQ on the next start', { timeout: 600_000 }, async () => {
    // Ctrl-C with a backlog: the whole process group gets SIGINT, as from a terminal.
    const first = await startTidemark();
    const accepted = await request(`${first.url}/v1/batch`, { key: DemoProject.writeKey, body: batchOf('restart_drained') });
    expect(accepted.body).toEqual({ accepted: EVENTS, rejected: [] });
    const interruptedAt = Date.now();
    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited).toBe(0);
    const drainMs = Date.now() - interruptedAt;
    expect(first.stderr()).toMatch(/draining: \d+ messages left/);

    // kill -9 with a backlog and a message in the DLQ.
    const second = await startTidemark();
    expect(await countedOf(second.url, 'restart_drained')).toBe(EVENTS);
    expect((await storedIdsOf(second.url, 'restart_drained')).size).toBe(EVENTS);
    const outputs = JSON.parse(readFileSync(join(dataDir, RUNTIME_FILE), 'utf8')) as RuntimeOutputs;
    const sqs = new SQSClient({
      endpoint: outputs.sqsEndpoint!,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: outputs.deadLetterQueueUrl,
        MessageBody: '{"poison":true}',
        MessageGroupId: 'poison',
        MessageDeduplicationId: 'poison-1',
      }),
    );
    sqs.destroy();
    expect(await dlqCount()).toBe(1);
    const killed = await request(`${second.url}/v1/batch`, { key: DemoProject.writeKey, body: batchOf('restart_killed') });
    expect(killed.body).toEqual({ accepted: EVENTS, rejected: [] });
    process.kill(-second.child.pid!, 'SIGKILL');
    await second.exited;

    const third = await startTidemark();
    const restored = /restored (\d+) messages to the events queue and 1 to the DLQ/.exec(third.stderr());
    expect(restored, third.stderr()).not.toBeNull();
    await eventually(
      () => countedOf(third.url, 'restart_killed'),
      (count) => count >= EVENTS,
      180_000,
    );
    expect(await countedOf(third.url, 'restart_killed')).toBe(EVENTS);
    expect((await storedIdsOf(third.url, 'restart_killed')).size).toBe(EVENTS);
    expect(await countedOf(third.url, 'restart_drained')).toBe(EVENTS);
    expect(await dlqCount()).toBe(1);
    process.kill(-third.child.pid!, 'SIGINT');
    expect(await third.exited).toBe(0);

    console.log(
      `restart figures: ${EVENTS} accepted before Ctrl-C, drained and stopped in ${drainMs} ms; ${EVENTS} accepted before kill -9, ${restored![1]} messages restored, all ${EVENTS} stored and counted once`,
    );
  });
});
