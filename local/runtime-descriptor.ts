/**
 * The runtime descriptor: `runtime.json` in the data directory, written while the runtime runs and
 * removed when it stops; the local twin of a deployed stack's outputs, which the ops CLI reads to
 * find the runtime.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntimeFiles } from '../resources/index.js';

/** Written to the data directory while the runtime runs; the local twin of the stack outputs. */
export const RUNTIME_FILE = LocalRuntimeFiles.descriptor;

export type RuntimeOutputs = {
  readonly apiUrl: string;
  readonly dynamodbEndpoint?: string;
  readonly sqsEndpoint?: string;
  readonly keysTableName: string;
  readonly eventsTableName: string;
  readonly aggregatesTableName: string;
  readonly eventsQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Local runtime only: the folder holding the lake (what S3 holds on AWS). */
  readonly lakeDir?: string;
  /** Deployed stack only: the lake's bucket and the Athena workgroup `tidemark sql` runs in. */
  readonly lakeBucketName?: string;
  readonly lakeWorkgroupName?: string;
};

/** Writes the descriptor; the returned function removes it. */
export function writeRuntimeDescriptor(dataDir: string, outputs: RuntimeOutputs): () => Promise<void> {
  const file = join(dataDir, RUNTIME_FILE);
  writeFileSync(file, JSON.stringify(outputs, null, 2));
  return async () => rmSync(file, { force: true });
}
