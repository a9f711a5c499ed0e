/** Logs are structured JSON with the request id and project id, and never carry a key or a raw IP. */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventsQueue } from '../../resources/index.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

// Powertools' injectLambdaContext returns the logger to the level it was built with on every
// invocation, so the level is set before the logger exists (vitest.config.ts sets ERROR).
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

let local: LocalHarness;
const lines: string[] = [];
const write = process.stdout.write.bind(process.stdout);
// Powertools writes warnings and errors to stderr.
const writeError = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  local = await startLocal();
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (writeError as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
});
afterAll(async () => {
  process.stdout.write = write;
  process.stderr.write = writeError;
  await local?.close();
});

describe('logs', () => {
  it('carry request and project ids as JSON, and no key or IP from the request', async () => {
    const ip = '203.0.113.77';
    const reply = await request(`${local.url}/v1/batch`, {
      key: DemoProject.writeKey,
      headers: { 'x-forwarded-for': ip },
      body: { events: [{ event: 'logged', deviceId: 'log-device', context: { ip } }, { deviceId: 'bad-row' }] },
    });
    expect(reply.status).toBe(202);
    await request(`${local.url}/v1/events?limit=1`, { key: 'not-a-real-key-but-secret-looking' });
    await eventually(
      async () => lines.filter((l) => l.includes('processed message')).length,
      (n) => n > 0,
    );

    const entries = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l));
    const ingested = entries.find((e) => e.message === 'ingested');
    expect(ingested).toMatchObject({
      level: 'INFO',
      service: 'tidemark',
      projectId: 'demo',
      requestId: expect.any(String),
      accepted: 1,
      rejected: 1,
    });
    expect(entries.find((e) => e.message === 'processed message')).toMatchObject({ projectId: 'demo', stored: expect.any(Number) });
    const all = lines.join('\n');
    for (const secret of [
      DemoProject.writeKey,
      DemoProject.secretKey,
      'not-a-real-key-but-secret-looking',
      ip,
      Buffer.from(`${DemoProject.writeKey}:`).toString('base64'),
    ]) {
      expect(all).not.toContain(secret);
    }
  });

  const entries = () =>
    lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l));

  it('carry the Lambda request id on every line of every function', async () => {
    const reply = await request(`${local.url}/v1/track`, {
      key: DemoProject.writeKey,
      body: { event: 'traced', deviceId: `trace-${Date.now()}` },
    });
    expect(reply.status).toBe(202);
    await request(`${local.url}/v1/events?limit=1`, { key: DemoProject.secretKey });
    const functions = ['ingest', 'query', 'process', 'aggregate', 'lake'];
    // An array, not a Set, so that a timeout names the functions seen (a Set prints as {}). The lake writer
    // logs once per stream batch, after its batching window: on a loaded machine that takes a while.
    const seen = await eventually(
      async () =>
        [
          ...new Set(
            entries()
              .filter((e) => e.service === 'tidemark')
              .map((e) => e.function_name),
          ),
        ].sort(),
      (names) => functions.every((name) => names.includes(name)),
      120_000,
    );
    expect(seen).toEqual([...functions].sort());
    const lines = entries().filter((e) => e.service === 'tidemark');
    expect(lines.filter((e) => typeof e.function_request_id !== 'string' || e.function_request_id.length === 0)).toEqual([]);
    // All functions run side by side in one process locally: each line must still name the function that wrote it.
    const writer: Record<string, string> = {
      ingested: 'ingest',
      'processed message': 'process',
      'applied stream batch': 'aggregate',
      'wrote stream batch to the lake': 'lake',
    };
    const misattributed = lines.filter((e) => writer[e.message] !== undefined && e.function_name !== writer[e.message]);
    expect(misattributed.map((e) => `${e.message} as ${e.function_name}`)).toEqual([]);
  }, 180_000);

  it('say why SQS refused a send, by cause, when rows are answered internal', async () => {
    local.faults.configure({ sqsSendFailure: 1 });
    try {
      const reply = await request(`${local.url}/v1/batch`, {
        key: DemoProject.writeKey,
        body: { events: [{ event: 'unsent', deviceId: 'sqs-down' }] },
      });
      expect(reply.body.rejected).toEqual([expect.objectContaining({ index: 0, reason: 'internal', retryable: true })]);
    } finally {
      local.faults.configure({ sqsSendFailure: 0 });
    }
    const failures = entries().filter((e) => e.message === 'SQS send failed');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatchObject({ level: 'WARN', cause: 'InjectedFault', messages: 1, projectId: 'demo' });
  });

  it("name a poison message's group and error once, on the receive before the DLQ", async () => {
    const sqs = new SQSClient({
      endpoint: local.sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const groupId = `demo#poison-${Date.now()}`;
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: local.queues.queueUrl,
        MessageBody: 'not a message',
        MessageGroupId: groupId,
        MessageDeduplicationId: groupId,
      }),
    );
    sqs.destroy();
    const poisoned = await eventually(
      async () =>
        entries().filter((e) => e.message === 'message failed its last receive; SQS moves it to the DLQ' && e.messageId === MessageId),
      (found) => found.length > 0,
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(entries().filter((e) => e.messageId === MessageId && e.level === 'ERROR')).toHaveLength(1);
    expect(poisoned[0]).toMatchObject({
      messageGroupId: groupId,
      receiveCount: EventsQueue.maxReceiveCount,
      error: expect.objectContaining({ message: expect.any(String) }),
    });
  }, 90_000);
});
