/**
 * Where the queue lives between restarts. One small interface (the shape of React Native's
 * AsyncStorage) with adapters for browsers and Node. Every `setItem` must replace the value
 * atomically: the queue is written whole, so a crash leaves the old queue or the new one.
 */
export interface QueueStorage {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

/** React Native `@react-native-async-storage/async-storage` already has this shape. */
export const asyncStorage = (store: QueueStorage): QueueStorage => store;

/** Browser `localStorage` (synchronous and atomic per key). */
export function localStorageAdapter(storage: { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void }): QueueStorage {
  return {
    getItem: async (key) => storage.getItem(key),
    setItem: async (key, value) => storage.setItem(key, value),
    removeItem: async (key) => storage.removeItem(key),
  };
}

export function memoryStorage(): QueueStorage & { readonly values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    getItem: async (key) => values.get(key) ?? null,
    setItem: async (key, value) => void values.set(key, value),
    removeItem: async (key) => void values.delete(key),
  };
}

/** Node: one file per key in `directory`, replaced by write-then-rename so a crash never leaves half a file. */
export async function fileStorage(directory: string): Promise<QueueStorage> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  await fs.mkdir(directory, { recursive: true });
  const fileOf = (key: string) => path.join(directory, `${encodeURIComponent(key)}.json`);
  return {
    getItem: async (key) => fs.readFile(fileOf(key), 'utf8').catch(() => null),
    setItem: async (key, value) => {
      const temporary = `${fileOf(key)}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(temporary, value);
      await fs.rename(temporary, fileOf(key));
    },
    removeItem: async (key) => fs.rm(fileOf(key), { force: true }),
  };
}
