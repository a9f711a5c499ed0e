/**
 * `npm start` as a user runs it: one ready line with the URL, /health 200, and Ctrl-C leaves no Java
 * behind; a second start on the same data directory or port refuses in one line and leaves the first alone.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../local/engines.js';

const javaProcessesUsing = (dataDir: string) => {
  try {
    return execFileSync('pgrep', ['-f', dataDir], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/** `npm start` run to its end (a refusal), with its stderr. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

describe('npm start', () => {
  it('prints the ready line, serves /health, and stops cleanly on SIGINT', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tidemark-start-'));
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
      env: { ...process.env, PORT: String(port), TIDEMARK_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const started = Date.now();
      while (!stdout.includes('ready at') && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 100));
      expect(stdout).toContain(`Tidemark is ready at http://127.0.0.1:${port}`);
      expect(stdout.trim().split('\n')).toHaveLength(1);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(javaProcessesUsing(dataDir).length).toBeGreaterThan(0);

      // A second start on the same directory, another port: refused before it touches the first one's engines.
      const sameDir = await runToExit({ PORT: String(await freePort()), TIDEMARK_DATA_DIR: dataDir });
      expect(sameDir.code).toBe(1);
      expect(sameDir.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(`^error: Another Tidemark runtime \\(pid ${child.pid}\\) is using the data directory .*TIDEMARK_DATA_DIR=`),
        ),
      ]);
      // The same port, another directory: one line naming the port.
      const otherDir = mkdtempSync(join(tmpdir(), 'tidemark-start-'));
      const samePort = await runToExit({ PORT: String(port), TIDEMARK_DATA_DIR: otherDir });
      rmSync(otherDir, { recursive: true, force: true });
      expect(samePort.code).toBe(1);
      expect(samePort.stderr).toContain(`error: port ${port} is in use; start on another one, e.g. PORT=${port + 1} npm start`);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(javaProcessesUsing(dataDir)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
