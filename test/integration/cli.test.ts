/** The ops CLI against the local runtime: key lifecycle, DLQ inspect and redrive, a resumable 20,000-row import. */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type Output } from '../../cli/main.js';
import { importFile } from '../../cli/commands/import.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal({ streamBatchingWindowMs: 200 });
});
afterAll(async () => {
  await local?.close();
});

/** Runs the CLI with no terminal and no TIDEMARK_KEY unless `terminal` gives them. */
async function cliWith(terminal: Pick<Output, 'env' | 'promptSecret'>, ...args: string[]) {
  const out: string[] = [];
  let err = '';
  const code = await runCli([...args, '--data-dir', local.dataDir], {
    out: (l) => out.push(l),
    err: (t) => (err += t),
    isTTY: false,
    env: {},
    ...terminal,
  });
  return { code, out, err };
}
const cli = (...args: string[]) => cliWith({}, ...args);
const withSecretKey = { env: { TIDEMARK_KEY: DemoProject.secretKey } };

describe('keys', () => {
  it('creates a key shown once, lists it by prefix, revokes it by that prefix, and a revoked key gets 401', async () => {
    const created = await cli('keys', 'create', '--project', 'cli-project', '--kind', 'write');
    expect(created.code).toBe(0);
    const key = created.out[1]!;
    expect(key).toMatch(/^tmw_/);
    expect((await request(`${local.url}/v1/track`, { key, body: { event: 'cli', deviceId: 'd' } })).status).toBe(202);

    const listed = await cli('keys', 'list', '--project', 'cli-project');
    expect(listed.out).toHaveLength(1);
    const listedPrefix = listed.out[0]!.split(/\s+/)[0]!;
    expect(key.startsWith(listedPrefix.replace(/…$/, ''))).toBe(true);
    expect(listed.out.join('\n')).not.toContain(key);

    const revoked = await cli('keys', 'revoke', listedPrefix);
    expect(revoked.code).toBe(0);
    const revokedAt = /^revoked (\S+) at (\S+)$/.exec(revoked.out[0]!);
    expect(revokedAt?.[1]).toBe(listedPrefix);
    expect((await request(`${local.url}/v1/track`, { key, body: { event: 'cli', deviceId: 'd' } })).status).toBe(401);
    expect((await cli('keys', 'list', '--project', 'cli-project')).out[0]).toContain(`revoked ${revokedAt?.[2]}`);
    // Revoking again says so and keeps the first date.
    const again = await cli('keys', 'revoke', listedPrefix);
    expect(again.out[0]).toBe(`${listedPrefix} was already revoked at ${revokedAt?.[2]}`);
    expect((await cli('keys', 'list', '--project', 'cli-project')).out[0]).toContain(`revoked ${revokedAt?.[2]}`);
  });

  it('refuses a prefix that names no key, and accepts the whole key too', async () => {
    expect((await cli('keys', 'revoke', 'tmw_nosuchkey', '--project', 'cli-project')).code).toBe(1);
    const key = (await cli('keys', 'create', '--project', 'cli-whole', '--kind', 'write')).out[1]!;
    expect((await cli('keys', 'revoke', key)).code).toBe(0);
    expect((await cli('keys', 'list', '--project', 'cli-whole')).out[0]).toContain('revoked');
  });

  it('refuses a project id that could reach into another project’s keys, saying what ids may be', async () => {
    for (const project of ['demo#b', 'Shop', 'a b', '']) {
      const refused = await cli('keys', 'create', '--project', project, '--kind', 'write');
      expect(refused.code).not.toBe(0);
      if (project) expect(refused.err).toContain('lowercase letters, digits');
    }
    expect((await cli('keys', 'list', '--project', 'demo#b')).out).toHaveLength(0);
  });

  it('answers usage errors with exit code 2', async () => {
    expect((await cli('keys', 'create', '--project', 'p', '--kind', 'admin')).code).toBe(2);
    expect((await cli('nonsense')).code).toBe(2);
  });
});

describe('dlq', () => {
  it('shows what is in the DLQ and redrives it back to processing', async () => {
    const sqs = new SQSClient({
      endpoint: local.sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const now = new Date().toISOString();
    const body = JSON.stringify({
      projectId: 'demo',
      deviceId: 'dlq-device',
      events: [
        {
          eventId: 'from-the-dlq',
          event: 'redriven',
          deviceId: 'dlq-device',
          timestamp: now,
          originalTimestamp: now,
          receivedAt: now,
          properties: {},
        },
      ],
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: local.queues.dlqUrl,
        MessageBody: body,
        MessageGroupId: 'demo#dlq-device',
        MessageDeduplicationId: 'dlq-1',
      }),
    );
    sqs.destroy();

    // Counting receives nothing: asked twice with nothing changed, it says the same number twice.
    const counted = await cli('dlq', 'inspect');
    expect(counted.out).toEqual(['1 messages in the DLQ']);
    expect((await cli('dlq', 'inspect')).out).toEqual(['1 messages in the DLQ']);
    const peeked = await cli('dlq', 'inspect', '--peek', '5');
    expect(peeked.out[0]).toBe('1 messages in the DLQ');
    expect(peeked.out[1]).toContain('demo#dlq-device');
    expect((await cli('dlq', 'inspect')).out).toEqual(['1 messages in the DLQ']);
    const redriven = await cli('dlq', 'redrive');
    expect(redriven.out[0]).toBe('1 messages sent back to the events queue');
    const stored = await eventually(
      () => request(`${local.url}/v1/events?event=redriven`, { key: DemoProject.secretKey }),
      (r) => r.body.events?.length === 1,
    );
    expect(stored.body.events[0].eventId).toBe('from-the-dlq');
    expect((await cli('dlq', 'inspect')).out[0]).toBe('0 messages in the DLQ');
  });
});

describe('import secrets', () => {
  it('never needs the key on the command line: TIDEMARK_KEY or a prompt; --key still works, with a warning', async () => {
    // A fresh file for each run: an import resumes after what a previous run settled.
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-secret-'));
    let files = 0;
    const oneRowFile = () => {
      const file = join(dir, `one-${files++}.ndjson`);
      writeFileSync(file, `${JSON.stringify({ event: 'secret_source', deviceId: 'd', timestamp: '2024-06-02T00:00:00Z' })}\n`);
      return file;
    };

    const noKey = await cli('import', oneRowFile());
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('TIDEMARK_KEY');
    const fromEnv = await cliWith(withSecretKey, 'import', oneRowFile());
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.err).not.toContain('warning');
    const questions: string[] = [];
    const promptSecret = async (question: string) => {
      questions.push(question);
      return DemoProject.secretKey;
    };
    const fromPrompt = await cliWith({ promptSecret }, 'import', oneRowFile());
    expect(fromPrompt.code).toBe(0);
    expect(questions).toEqual(['secret key: ']);
    const wrongFromPrompt = await cliWith({ promptSecret: async () => 'not-a-key' }, 'import', oneRowFile());
    expect(wrongFromPrompt.code).toBe(1);
    const fromFlag = await cli('import', oneRowFile(), '--key', DemoProject.secretKey);
    expect(fromFlag.code).toBe(0);
    expect(fromFlag.err).toContain('warning: --key');
  });
});

describe('import', () => {
  it('lands every good row of a 20,000-row file once, across a crash and a resume, and reports the bad rows', {
    timeout: 600_000,
  }, async () => {
    // Big enough for many chunks before and after the crash; the pipeline's throughput is the bench's business.
    const ROWS = 20_000;
    const CRASH_AT = 8_000;
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-import-'));
    const file = join(dir, 'events.ndjson');
    const lines: string[] = [];
    let good = 0;
    for (let i = 0; i < ROWS; i++) {
      if (i % 5000 === 17) {
        lines.push('{"event": "broken json');
        continue;
      }
      const row = {
        event: i % 997 === 3 ? '' : 'imported',
        deviceId: `importer-${i % 50}`,
        value: i % 10,
        timestamp: new Date(Date.parse('2024-05-01T00:00:00Z') + (i % 1500) * 1000).toISOString(),
      };
      if (row.event) good++;
      lines.push(JSON.stringify(row));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);

    const crash = new Error('simulated crash');
    await expect(
      importFile({
        apiUrl: local.url,
        secretKey: DemoProject.secretKey,
        file,
        onProgress: (settled) => {
          if (settled >= CRASH_AT) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect(existsSync(`${file}.import-state.json`)).toBe(true);

    const resumed = await cliWith(withSecretKey, 'import', file);
    expect(resumed.code).toBe(0);
    expect(resumed.out[0]).toContain(`${good} rows accepted, ${ROWS - good} rejected of ${ROWS} (resumed after row ${CRASH_AT})`);
    expect(resumed.err).toContain(`${ROWS}/${ROWS} rows`);
    const rejected = readFileSync(`${file}.rejected.ndjson`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejected).toHaveLength(ROWS - good);
    expect(rejected.filter((r) => r.error.includes('not valid JSON'))).toHaveLength(ROWS / 5000);
    expect(rejected.find((r) => r.line === 4)).toMatchObject({ reason: 'validation' });

    const counted = await eventually(
      async () => {
        const r = await request(`${local.url}/v1/aggregates?event=imported&from=2024-05-01T00:00:00Z&to=2024-05-02T00:00:00Z`, {
          key: DemoProject.secretKey,
        });
        return (r.body.series as { count: number }[]).reduce((sum, p) => sum + p.count, 0);
      },
      (count) => count >= good,
      540_000,
    );
    expect(counted).toBe(good);
  });
});

describe('import of CSV', () => {
  it('reads a header, quoted fields with commas, quotes and newlines, and lands each row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-csv-'));
    const file = join(dir, 'events.csv');
    writeFileSync(
      file,
      'event,deviceId,amount,timestamp,note\r\n' +
        'csv_row,csv-1,12.5,2024-06-01T10:00:00Z,"plain, with comma"\r\n' +
        'csv_row,csv-2,3,2024-06-01T10:05:00Z,"says ""hi""\nover two lines"\r\n' +
        ',csv-3,1,2024-06-01T10:06:00Z,no event\r\n',
    );
    const result = await cliWith({ promptSecret: async () => DemoProject.secretKey }, 'import', file);
    expect(result.out[0]).toContain('2 rows accepted, 1 rejected of 3');
    const stored = await eventually(
      () =>
        request(`${local.url}/v1/events?event=csv_row&from=2024-06-01T00:00:00Z&to=2024-06-02T00:00:00Z`, { key: DemoProject.secretKey }),
      (r) => r.body.events?.length === 2,
    );
    const notes = stored.body.events.map((e: { properties: { note: string } }) => e.properties.note).sort();
    expect(notes).toEqual(['plain, with comma', 'says "hi"\nover two lines']);
    expect(stored.body.events.find((e: { deviceId: string }) => e.deviceId === 'csv-1').value).toBe(12.5);
  });
});
