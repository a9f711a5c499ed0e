/**
 * One runtime per data directory. A second `npm start` on the same directory would end the first
 * one's DynamoDB Local as a leftover (engines.ts), serve its own API on the same tables, and on
 * stop remove the first one's `runtime.json`: both would break without saying why. The lock file
 * holds the owner's pid; a lock whose process is gone (a crash, `kill -9`) is taken over.
 */
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  for (let guardWaits = 0; ; ) {
    if (created(file)) {
      return () => {
        if (ownerOf(file) === process.pid) rmSync(file, { force: true });
      };
    }
    const owner = ownerOf(file);
    if (owner !== undefined && isRunning(owner)) throw new DataDirInUseError(dataDir, owner);
    const guardHolder = removeIfStale(file);
    if (guardHolder === undefined) continue;
    // Another start is taking the stale lock over (a few file operations); one that holds on is not starting.
    if (++guardWaits > GUARD_WAITS) throw new DataDirInUseError(dataDir, guardHolder);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, GUARD_WAIT_MS);
  }
}

const GUARD_WAITS = 100;
const GUARD_WAIT_MS = 10;

/**
 * Creates the file holding this pid, or says it exists: linked from a file already written, so a
 * lock is never seen empty (an empty one read as stale, and a second start took a lock being made).
 */
function created(file: string): boolean {
  const written = `${file}.${process.pid}`;
  writeFileSync(written, String(process.pid));
  try {
    linkSync(written, file);
    return true;
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    // A file system without hard links (some shared folders): created and written in two steps.
    return createdInTwoSteps(file);
  } finally {
    rmSync(written, { force: true });
  }
}

function createdInTwoSteps(file: string): boolean {
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  }
}

/**
 * Removes a lock whose process is gone, under a guard: two starts that both read the same stale
 * lock each removed "it", the second removing the lock the first had just taken, and both ran.
 * Under the guard only one judges and removes at a time, and nothing else removes a lock that is
 * not its own. A guard whose holder is gone (a crash between the two steps) is removed; one whose
 * holder runs is left, and its pid returned.
 */
function removeIfStale(file: string): number | undefined {
  const guard = `${file}.takeover`;
  if (!created(guard)) {
    const holder = ownerOf(guard);
    if (holder !== undefined && isRunning(holder)) return holder;
    rmSync(guard, { force: true });
    return undefined;
  }
  try {
    const owner = ownerOf(file);
    if (owner === undefined || !isRunning(owner)) rmSync(file, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
  return undefined;
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
