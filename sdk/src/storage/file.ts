/**
 * Node: a directory holding `queue.log`, an append-only log (a line `+<event JSON>` per queued
 * event, `-<JSON array of ids>` per removal), and one small file per state value. Appends and
 * removals each add a line, whatever the queue's length; once removal lines and removed events
 * outweigh the live ones the log is rewritten with the live events only (write-then-rename, so a
 * crash leaves the old log or the new one). A line torn by a crash mid-write is ignored on load.
 * Appends are not fsynced: a process crash loses nothing, a power cut may lose the last writes.
 */
import { mkdir, open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueuedEvent } from '../event.js';
import type { KeyValueStore, QueueLog, TidemarkStorage } from './types.js';

const COMPACT_AFTER_LINES = 2000;

export function fileStorage(directory: string): TidemarkStorage {
  const ready = mkdir(directory, { recursive: true });
  const fileOf = (key: string) => join(directory, `${encodeURIComponent(key)}.json`);
  const state: KeyValueStore = {
    getItem: async (key) => {
      await ready;
      return readFile(fileOf(key), 'utf8').catch(() => null);
    },
    setItem: async (key, value) => {
      await ready;
      const temporary = `${fileOf(key)}.${process.pid}.tmp`;
      await writeFile(temporary, value);
      await rename(temporary, fileOf(key));
    },
    removeItem: async (key) => {
      await ready;
      await rm(fileOf(key), { force: true });
    },
  };
  return { state, queue: fileQueueLog(join(directory, 'queue.log'), ready), defaultMaxQueueBytes: 64 * 1024 * 1024 };
}

function fileQueueLog(path: string, ready: Promise<unknown>): QueueLog {
  let handle: FileHandle | undefined;
  const live = new Map<string, QueuedEvent>();
  let lines = 0;

  const write = async (text: string, count: number) => {
    handle ??= await open(path, 'a');
    await handle.write(text);
    lines += count;
  };

  const compact = async () => {
    await handle?.close();
    handle = undefined;
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, [...live.values()].map((event) => `+${JSON.stringify(event)}\n`).join(''));
    await rename(temporary, path);
    lines = live.size;
  };

  return {
    async load() {
      await ready;
      const text = await readFile(path, 'utf8').catch(() => '');
      live.clear();
      lines = 0;
      for (const line of text.split('\n')) {
        const parsed = parseLine(line);
        if (!parsed) continue;
        lines++;
        if (parsed.kind === '+') live.set(parsed.event.eventId, parsed.event);
        else for (const id of parsed.ids) live.delete(id);
      }
      // A torn last line must not glue itself to the next append.
      if (text.length > 0 && !text.endsWith('\n')) await compact();
      return [...live.values()];
    },
    async append(events) {
      for (const event of events) live.set(event.eventId, event);
      await write(events.map((event) => `+${JSON.stringify(event)}\n`).join(''), events.length);
    },
    async remove(eventIds) {
      const gone = eventIds.filter((id) => live.delete(id));
      if (gone.length === 0) return;
      await write(`-${JSON.stringify(gone)}\n`, 1);
      if (lines > COMPACT_AFTER_LINES && lines > 2 * live.size) await compact();
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}

type Line = { kind: '+'; event: QueuedEvent } | { kind: '-'; ids: string[] };

function parseLine(line: string): Line | undefined {
  try {
    if (line.startsWith('+')) return { kind: '+', event: JSON.parse(line.slice(1)) as QueuedEvent };
    if (line.startsWith('-')) return { kind: '-', ids: JSON.parse(line.slice(1)) as string[] };
  } catch {
    // torn by a crash mid-write
  }
  return undefined;
}
