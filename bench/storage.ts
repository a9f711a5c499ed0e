/**
 * What the run left in storage, measured: the lake's Parquet (as written per stream batch, and
 * after compacting every day), and the DynamoDB bytes per stored event, table and index, computed
 * by DynamoDB's own item-size rules from a sample of the real items.
 */
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { compactClosedDays } from '../lambdas/lake/compact.js';
import { decodeParquet, encodeParquet } from '../lambdas/core/lake-parquet.js';
import type { LakeRow } from '../lambdas/core/lake-rows.js';
import { FileLakeObjects } from '../local/file-lake-objects.js';
import { EventsTable, LakeEventColumns, LakeLayout } from '../resources/index.js';

export type LakeMeasure = {
  rows: number;
  rawFiles: number;
  rawBytes: number;
  compactedFiles: number;
  compactedBytes: number;
  days: number;
  /** CPU to encode one row as Parquet, measured here (the writer's work besides its PUTs). */
  encodeMsPerRow: number;
};

export async function measureLake(lakeDir: string, nowMs: number): Promise<LakeMeasure> {
  const lake = new FileLakeObjects(lakeDir);
  const raw = await lake.list(`${LakeLayout.eventsPrefix}/`);
  let rawBytes = 0;
  for (const key of raw) rawBytes += (await lake.get(key)).byteLength;
  // Every day closed: what the lake holds once compaction has run over it.
  const outcomes = await compactClosedDays(lake, nowMs + 2 * 86_400_000);
  const compacted = await lake.list(`${LakeLayout.eventsPrefix}/`);
  let compactedBytes = 0;
  const rows: LakeRow[] = [];
  for (const key of compacted) {
    const body = await lake.get(key);
    compactedBytes += body.byteLength;
    rows.push(...(await decodeParquet(body)));
  }
  const started = performance.now();
  encodeParquet(LakeEventColumns, rows);
  const encodeMsPerRow = (performance.now() - started) / Math.max(1, rows.length);
  return {
    rows: rows.length,
    rawFiles: raw.length,
    rawBytes,
    compactedFiles: compacted.length,
    compactedBytes,
    days: outcomes.length,
    encodeMsPerRow,
  };
}

/**
 * DynamoDB storage per stored event: item size (attribute names plus values, UTF-8) and 100 bytes
 * of overhead per item, for the table and for each index entry (DynamoDB Developer Guide, "Item
 * sizes and formats" and "Storage of global secondary indexes").
 */
export async function measureDynamoBytesPerEvent(endpoint: string, tableName: string, sample = 500): Promise<number> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  try {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, Limit: sample }));
    if (Items.length === 0) return 0;
    const index = EventsTable.globalIndexes[0];
    const indexAttributes = new Set<string>([
      EventsTable.partitionKey.name,
      index.partitionKey.name,
      index.sortKey.name,
      ...index.nonKeyAttributes,
    ]);
    const total = Items.reduce((sum, item) => {
      const indexed = Object.fromEntries(Object.entries(item).filter(([name]) => indexAttributes.has(name)));
      return sum + itemBytes(item) + 100 + itemBytes(indexed) + 100;
    }, 0);
    return total / Items.length;
  } finally {
    client.destroy();
  }
}

function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  // Binary: its raw bytes (compressed properties and context, the fingerprint).
  if (value.B !== undefined) return value.B.length;
  // Numbers: about one byte per two significant digits, plus one.
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[-.]|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M) return 3 + itemBytes(value.M);
  if (value.L) return 3 + value.L.reduce((sum, v) => sum + 1 + valueBytes(v), 0);
  return 0;
}
