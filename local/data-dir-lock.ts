/**
 * One runtime per data directory. A second `npm start` on the same directory would end the first
 * one's DynamoDB Local as a leftover (engines.ts), serve its own API on the same tables, and on
 * stop remove the first one's `runtime.json`: both would break without saying why. The lock file
 * holds the owner's pid; a lock whose process is gone (a crash, `kill -9`) is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'runtime.lock';

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `Another Tidemark runtime (pid ${pid}) is using the data directory ${dataDir}. Stop it first, or start this one on ` +
        'its own directory and port, e.g. TIDEMARK_DATA_DIR=.tidemark-2 PORT=3001 npm start.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** Takes the directory for this process; the returned function gives it back. */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        if (ownerOf(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = ownerOf(file);
      if (owner !== undefined && isRunning(owner)) throw new DataDirInUseError(dataDir, owner);
      // A stale lock: its process is gone. Removed, then taken with `wx` again, so two starts racing for it cannot both win.
      rmSync(file, { force: true });
    }
  }
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
