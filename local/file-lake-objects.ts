/**
 * The lake on the local runtime: the same keys as in S3, as files under a folder of the data
 * directory, so DuckDB reads the layout Athena reads. A put is a write to a temporary file and a
 * rename, whole like an S3 PUT: a reader never sees half a file.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { LakeObjects } from '../lambdas/lake/ports.js';

export class FileLakeObjects implements LakeObjects {
  constructor(readonly root: string) {}

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = join(dirname(path), `.${randomUUID()}.tmp`);
    await writeFile(temporary, body);
    await rename(temporary, path);
  }

  async get(key: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.#path(key)));
  }

  async list(prefix: string): Promise<string[]> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return entries
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.#path(key), { force: true })));
  }

  #path(key: string): string {
    if (key.split('/').some((part) => part === '..' || part === '')) throw new Error(`not a lake key: ${key}`);
    return join(this.root, ...key.split('/'));
  }
}
