/** One runtime per data directory on a file system without hard links (link fails EPERM, as on some shared folders). */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../local/data-dir-lock.js';

vi.mock('node:fs', async (original) => ({
  ...(await original<typeof import('node:fs')>()),
  linkSync: () => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  },
}));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('lockDataDir without hard links', () => {
  it('still takes the directory once, refuses a second start, and leaves no other file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-lock-'));
    dirs.push(dir);
    const unlock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    unlock();
    expect(readdirSync(dir)).toEqual([]);
  });
});
