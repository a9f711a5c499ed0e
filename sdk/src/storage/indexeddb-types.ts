/**
 * The part of the IndexedDB API the queue uses, declared here so the package's types need no DOM
 * library (Node and React Native projects compile without it); the browser's own objects fit.
 */
export type IdbTransactionMode = 'readonly' | 'readwrite';

export interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

export interface IdbCursorWithValue {
  readonly value: unknown;
  readonly primaryKey: unknown;
  continue(): void;
}

export interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key?: string): IdbRequest<unknown>;
  add(value: unknown): IdbRequest<unknown>;
  delete(key: unknown): IdbRequest<undefined>;
  openCursor(): IdbRequest<IdbCursorWithValue | null>;
}

export interface IdbTransaction {
  readonly error: unknown;
  objectStore(name: string): IdbObjectStore;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

export interface IdbDatabase {
  transaction(store: string, mode: IdbTransactionMode): IdbTransaction;
  createObjectStore(name: string, options?: { autoIncrement?: boolean }): unknown;
}

export interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}

export interface IdbFactory {
  open(name: string, version: number): IdbOpenRequest;
}
