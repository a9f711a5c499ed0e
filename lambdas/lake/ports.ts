/** What the lake use cases need from storage: S3 on AWS, a folder of the data directory locally. */
export interface LakeObjects {
  /** Writes the object whole, replacing one of the same key (S3 PUT semantics). */
  put(key: string, body: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** Every key under the prefix. */
  list(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
}
