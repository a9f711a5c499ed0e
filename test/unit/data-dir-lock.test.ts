/** One runtime per data directory: a live owner refuses a second, a dead one's lock is taken over. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

  it('lets one of several starts racing for a stale lock take it', async () => {
    // Each contender spins until the same instant, tries, says how it went, and holds what it took until ended.
    const contender = `
      const { lockDataDir } = await import(${JSON.stringify(resolve('local/data-dir-lock.ts'))});
      while (Date.now() < Number(process.argv[2])) {}
      try { lockDataDir(process.argv[1]); process.stdout.write('took'); } catch { process.stdout.write('refused'); }
      setInterval(() => {}, 1000);`;
    for (let round = 0; round < 2; round++) {
      const dir = freshDir();
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      writeFileSync(join(dir, LOCK_FILE), gone.stdout);
      const startAt = String(Date.now() + 2000);
      const contenders = Array.from({ length: 6 }, () =>
        spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', contender, dir, startAt]),
      );
      try {
        const outcomes = await Promise.all(
          contenders.map(
            (child) =>
              new Promise<string>((done) => {
                child.stdout.once('data', (chunk) => done(String(chunk)));
                child.once('close', () => done('exited'));
              }),
          ),
        );
        expect(outcomes.filter((outcome) => outcome === 'took')).toHaveLength(1);
        expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(5);
      } finally {
        for (const child of contenders) child.kill();
      }
    }
  }, 30_000);

  it('leaves a lock that another process took since alone when unlocking', () => {
    const dir = freshDir();
    const unlock = lockDataDir(dir);
    writeFileSync(join(dir, LOCK_FILE), '1');
    unlock();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe('1');
  });
});
