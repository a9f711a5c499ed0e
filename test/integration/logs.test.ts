/** Logs are structured JSON with the request id and project id, and never carry a key or a raw IP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../lambdas/observability.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
const lines: string[] = [];
const write = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  local = await startLocal();
  logger.setLogLevel('DEBUG');
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
});
afterAll(async () => {
  process.stdout.write = write;
  logger.setLogLevel('ERROR');
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
    await eventually(async () => lines.filter((l) => l.includes('processed message')).length, (n) => n > 0);

    const entries = lines.flatMap((l) => l.split('\n')).filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l));
    const ingested = entries.find((e) => e.message === 'ingested');
    expect(ingested).toMatchObject({ level: 'INFO', service: 'tidemark', projectId: 'demo', requestId: expect.any(String), accepted: 1, rejected: 1 });
    expect(entries.find((e) => e.message === 'processed message')).toMatchObject({ projectId: 'demo', stored: expect.any(Number) });
    const all = lines.join('\n');
    for (const secret of [DemoProject.writeKey, DemoProject.secretKey, 'not-a-real-key-but-secret-looking', ip, Buffer.from(`${DemoProject.writeKey}:`).toString('base64')]) {
      expect(all).not.toContain(secret);
    }
  });
});
