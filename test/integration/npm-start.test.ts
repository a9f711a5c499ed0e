/** `npm start` as a user runs it: one ready line with the URL, /health 200, and Ctrl-C leaves no Java behind. */
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

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(javaProcessesUsing(dataDir)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
