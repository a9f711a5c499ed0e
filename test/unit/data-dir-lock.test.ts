/** One runtime per data directory: a live owner refuses a second, a dead one's lock is taken over. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../local/data-dir-lock.js';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('lockDataDir', () => {
  it('refuses the directory while its owner runs, and gives it back on unlock', () => {
    const dir = freshDir();
    const unlock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(`(pid ${process.pid})`);
    unlock();
    const again = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    again();
  });

  it('takes over the lock of a process that is gone (a crash or kill -9)', () => {
    const dir = freshDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE), gone.stdout);
    const unlock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    unlock();
  });

  it('leaves a lock that another process took since alone when unlocking', () => {
    const dir = freshDir();
    const unlock = lockDataDir(dir);
    writeFileSync(join(dir, LOCK_FILE), '1');
    unlock();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe('1');
  });
});
