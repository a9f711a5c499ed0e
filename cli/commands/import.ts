/**
 * Imports an NDJSON or CSV file through POST /v1/import in batches. Resumable: the number of rows
 * settled is saved after every batch in `<file>.import-state.json`, and a rerun starts after them.
 * Rows without an id get one from their line and content, so a resumed or repeated import never
 * stores a row twice. Rows the API rejects for good are written to `<file>.rejected.ndjson`.
 */
import { createReadStream, existsSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { FieldAliases } from '../../lambdas/core/field-aliases.js';
import { isObject } from '../../lambdas/core/json-object.js';
import { parseCsvLine, recordOf } from '../csv.js';
import { ImportRequests, type IngestAnswer } from '../../resources/index.js';

export type ImportOptions = {
  readonly apiUrl: string;
  readonly secretKey: string;
  readonly file: string;
  readonly format?: 'ndjson' | 'csv';
  readonly batchSize?: number;
  readonly onProgress?: (settled: number, total: number) => void;
};

export type ImportReport = { total: number; resumedFrom: number; accepted: number; rejected: number; rejectedFile?: string };

type State = { rowsSettled: number; accepted: number; rejected: number };
type Row = { line: number; value: unknown; parseError?: string };

const ID_ALIASES: readonly string[] = FieldAliases.eventId;

export async function importFile(options: ImportOptions): Promise<ImportReport> {
  const format = options.format ?? (options.file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');
  const batchSize = options.batchSize ?? ImportRequests.rowsPerRequest;
  const stateFile = `${options.file}.import-state.json`;
  const rejectedFile = `${options.file}.rejected.ndjson`;
  const state: State = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : { rowsSettled: 0, accepted: 0, rejected: 0 };
  if (state.rowsSettled === 0) rmSync(rejectedFile, { force: true });
  const resumedFrom = state.rowsSettled;
  const total = await countRows(options.file, format);

  let batch: Row[] = [];
  let seen = 0;
  const flush = async () => {
    const outcome = await sendBatch(options, batch);
    for (const rejection of outcome.rejected) appendFileSync(rejectedFile, `${JSON.stringify(rejection)}\n`);
    state.rowsSettled += batch.length;
    state.accepted += outcome.accepted;
    state.rejected += outcome.rejected.length;
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(state));
    renameSync(`${stateFile}.tmp`, stateFile);
    options.onProgress?.(state.rowsSettled, total);
    batch = [];
  };
  for await (const row of readRows(options.file, format)) {
    if (seen++ < state.rowsSettled) continue;
    batch.push(row);
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  rmSync(stateFile, { force: true });
  return {
    total,
    resumedFrom,
    accepted: state.accepted,
    rejected: state.rejected,
    ...(state.rejected > 0 ? { rejectedFile } : {}),
  };
}

type RejectedRow = { line: number; reason: string; error: string };

/** Sends one batch until every row is accepted or rejected for good; resends only retryable rows. */
async function sendBatch(options: ImportOptions, rows: Row[]): Promise<{ accepted: number; rejected: RejectedRow[] }> {
  const rejected: RejectedRow[] = rows
    .filter((r) => r.parseError)
    .map((r) => ({ line: r.line, reason: 'validation', error: r.parseError! }));
  let pending = rows.filter((r) => !r.parseError);
  let accepted = 0;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= ImportRequests.maxAttempts)
      throw new Error(
        `import stopped: ${pending.length} rows from line ${pending[0]!.line} still failing after ${ImportRequests.maxAttempts} attempts; rerun to resume`,
      );
    const response = await fetch(`${options.apiUrl}/v1/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: pending.map((r) => withImportId(r)) }),
    }).catch(() => undefined);
    if (!response || response.status >= 500 || response.status === 429) {
      const retryAfter = Number(response?.headers.get('retry-after') ?? 0);
      await new Promise((resolve) => setTimeout(resolve, Math.max(retryAfter * 1000, ImportRequests.firstRetryMs * 2 ** attempt)));
      continue;
    }
    const body = (await response.json()) as Partial<IngestAnswer> & { message?: string };
    if (response.status !== 202) throw new Error(`import refused (${response.status}): ${body.message ?? JSON.stringify(body)}`);
    accepted += body.accepted ?? 0;
    const retry: Row[] = [];
    for (const rejection of body.rejected ?? []) {
      const row = pending[rejection.index]!;
      if (rejection.retryable) retry.push(row);
      else rejected.push({ line: row.line, reason: rejection.reason, error: rejection.error });
    }
    pending = retry;
  }
  return { accepted, rejected };
}

/** A row with no id of its own gets one from its line and content: stable across reruns. */
function withImportId(row: Row): unknown {
  if (!isObject(row.value)) return row.value;
  const value = row.value;
  const payload = isObject(value.payload) ? value.payload : {};
  if (ID_ALIASES.some((alias) => value[alias] !== undefined || payload[alias] !== undefined)) return value;
  const id = createHash('sha256')
    .update(`${row.line}\u0000${JSON.stringify(value)}`)
    .digest('hex')
    .slice(0, 32);
  return { ...value, insert_id: `import-${id}` };
}

async function* readRows(file: string, format: 'ndjson' | 'csv'): AsyncGenerator<Row> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let header: string[] | undefined;
  let line = 0;
  let carried = '';
  let startLine = 0;
  for await (const text of lines) {
    line++;
    if (format === 'ndjson') {
      if (text.trim() === '') continue;
      try {
        yield { line, value: JSON.parse(text) };
      } catch {
        yield { line, value: null, parseError: 'line is not valid JSON' };
      }
      continue;
    }
    if (carried === '') startLine = line;
    const record = carried === '' ? text : `${carried}\n${text}`;
    const parsed = parseCsvLine(record);
    if (!parsed.complete) {
      carried = record;
      continue;
    }
    carried = '';
    if (!header) {
      header = parsed.fields.map((name) => name.trim());
      continue;
    }
    if (parsed.fields.length === 1 && parsed.fields[0] === '') continue;
    yield { line: startLine, value: recordOf(header, parsed.fields) };
  }
}

async function countRows(file: string, format: 'ndjson' | 'csv'): Promise<number> {
  let count = 0;
  for await (const _ of readRows(file, format)) count++;
  return count;
}
