/** An in-memory `LakeObjects` for use-case tests: a map of keys to bytes, with S3's whole-object writes. */
import type { LakeObjects } from '../../lambdas/lake/ports.js';

export class MemoryLake implements LakeObjects {
  readonly objects = new Map<string, Uint8Array>();
  puts = 0;

  async put(key: string, body: Uint8Array): Promise<void> {
    this.puts += 1;
    this.objects.set(key, body.slice());
  }

  async get(key: string): Promise<Uint8Array> {
    const body = this.objects.get(key);
    if (!body) throw new Error(`no object ${key}`);
    return body;
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
  }
}
