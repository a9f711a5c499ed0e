/**
 * Lake rows to and from Parquet, in pure JavaScript (hyparquet), so the Lambda bundle carries no
 * native module. One schema (`resources/lake.ts`) for every file, raw or compacted.
 */
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { LakeColumn } from '../../resources/index.js';
import type { LakeRow } from './lake-rows.js';

export function encodeParquet(columns: readonly LakeColumn[], rows: readonly LakeRow[]): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: columns.map((column) => ({
      name: column.name,
      type: column.parquet,
      nullable: !column.required,
      data: rows.map((row) => row[column.name] ?? null),
    })),
    // One row group per file: the files are already one stream batch or one compacted day.
    rowGroupSize: Math.max(1, rows.length),
    createdBy: 'tidemark',
  });
  return new Uint8Array(buffer);
}

export async function decodeParquet(bytes: Uint8Array): Promise<LakeRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = await parquetReadObjects({ file });
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, normalizeRead(value)])));
}

/** hyparquet reads INT64 as bigint when it does not fit a double; lake columns never hold one. */
const normalizeRead = (value: unknown): LakeRow[string] =>
  typeof value === 'bigint' ? Number(value) : ((value as LakeRow[string] | undefined) ?? null);

/** Rows in a Parquet file, from its footer alone. */
export const parquetRowCount = (bytes: Uint8Array): number => Number(parquetMetadata(bytes).num_rows);
