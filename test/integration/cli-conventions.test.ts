/**
 * Every Tidemark CLI as a user runs it (`npx tidemark`, `npm run chaos`, `npm run bench`, in child
 * processes): `--help` prints usage and exits 0; a bad flag, a bad value or a missing local runtime
 * prints one line and exits non-zero, never a stack trace.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

type Run = { code: number; stdout: string; stderr: string };

const repository = new URL('../../', import.meta.url).pathname;
// A data directory no runtime ever wrote to, so nothing a developer's `npm start` left is found.
const emptyDataDir = mkdtempSync(join(tmpdir(), 'tidemark-no-runtime-'));

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: repository,
        // With AWS_LAMBDA_MAX_CONCURRENCY, as a child of a process that ran the local runtime inherits it
        // (local/invocation-context.ts sets it): no CLI may load Powertools before that store exists.
        env: {
          ...process.env,
          AWS_LAMBDA_MAX_CONCURRENCY: '64',
          TIDEMARK_DATA_DIR: emptyDataDir,
          npm_config_loglevel: 'silent',
          npm_config_update_notifier: 'false',
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr: withoutNpmWarnings(stderr) }),
    );
  });
}

/** npm's own warnings about this machine's user config are not the CLI's output. */
const withoutNpmWarnings = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => !line.startsWith('npm warn'))
    .join('\n');

const tidemark = (...args: string[]) => run('npx', ['--no-install', 'tidemark', ...args]);
const npmRun = (script: string, ...args: string[]) => run('npm', ['run', '--silent', script, '--', ...args]);

function expectOneLineError(result: Run, mentioning: string | RegExp) {
  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(mentioning);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('--help prints usage and exits 0', () => {
  it.each([
    ['npx tidemark --help', () => tidemark('--help'), ['keys', 'dlq', 'import', 'reconcile', 'sql', 'lake', 'rejections', '--stack']],
    ['npx tidemark keys --help', () => tidemark('keys', '--help'), ['create', 'list', 'revoke']],
    ['npx tidemark keys create --help', () => tidemark('keys', 'create', '--help'), ['--project', '--kind', 'write', 'secret']],
    ['npx tidemark rejections replay --help', () => tidemark('rejections', 'replay', '--help'), ['--reason', '--from']],
    ['npm run chaos -- --help', () => npmRun('chaos', '--help'), ['--events', '--rate', '--seed']],
    ['npm run bench -- --help', () => npmRun('bench', '--help'), ['--quick', '--events', '--concurrency']],
  ])('%s', async (_name, invoke, mentions) => {
    const result = await invoke();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: /);
    for (const word of mentions) expect(result.stdout).toContain(word);
  });
});

describe('a mistake prints one line and exits non-zero', () => {
  it.each([
    ['an unknown flag', () => tidemark('keys', 'list', '--project', 'p', '--bogus'), /unknown option '--bogus'/],
    ['an unknown command', () => tidemark('key'), /unknown command 'key'/],
    [
      'a value outside its choices',
      () => tidemark('keys', 'create', '--project', 'p', '--kind', 'admin'),
      /Allowed choices are write, secret/,
    ],
    ['a missing required flag', () => tidemark('keys', 'list'), /--project/],
    ['an unreadable day', () => tidemark('reconcile', '--from', 'yesterday', '--to', '2026-01-01'), /--from/],
    ['an unknown chaos flag', () => npmRun('chaos', '--bogus'), /unknown option '--bogus'/],
    ['a chaos rate above 1', () => npmRun('chaos', '--rate', '2'), /between 0 and 1/],
    ['bench events not in whole batches', () => npmRun('bench', '--events', '51'), /multiple of 50/],
  ])('%s', async (_name, invoke, mentioning) => {
    expectOneLineError(await invoke(), mentioning);
  });

  it('no local runtime running: names what to do, with exit code 1', async () => {
    const result = await tidemark('dlq', 'inspect');
    expectOneLineError(result, /No local runtime found .*npm start.*--stack/);
    expect(result.code).toBe(1);
  });
});
