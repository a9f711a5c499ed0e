/**
 * SQL over a deployed stack's lake with Athena: the statement runs in the stack's workgroup (which
 * holds the results location, its encryption and the per-query scan limit), polled until it ends.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type Row,
} from '@aws-sdk/client-athena';
import { LakeCatalog } from '../../resources/index.js';
import { withEventsView } from './views.js';
import type { SqlEngine, SqlResult, SqlValue } from './sql-engine.js';

const DONE = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export class AthenaEngine implements SqlEngine {
  constructor(
    private readonly workgroup: string,
    private readonly client: AthenaClient = new AthenaClient({}),
    private readonly pollMs = 1000,
  ) {}

  async query(statement: string, onProgress: (state: string) => void = () => undefined): Promise<SqlResult> {
    const { QueryExecutionId: id } = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: withEventsView(statement),
        WorkGroup: this.workgroup,
        // Unqualified names (`rejections`, `events_raw`) resolve in the lake's database.
        QueryExecutionContext: { Database: LakeCatalog.databaseName },
      }),
    );
    for (;;) {
      const { QueryExecution } = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = QueryExecution?.Status?.State ?? 'UNKNOWN';
      const scanned = QueryExecution?.Statistics?.DataScannedInBytes ?? 0;
      onProgress(`${state.toLowerCase()}, ${(scanned / 1024 ** 2).toFixed(1)} MB scanned`);
      if (DONE.has(state)) {
        if (state !== 'SUCCEEDED')
          throw new Error(`Athena query ${state.toLowerCase()}: ${QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
    return this.#results(id!);
  }

  async #results(id: string): Promise<SqlResult> {
    let columns: string[] = [];
    let types: string[] = [];
    const rows: SqlValue[][] = [];
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token }));
      const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      if (first) {
        columns = info.map((c) => c.Name ?? '');
        types = info.map((c) => c.Type ?? '');
      }
      // The first row of the first page repeats the column names (Athena API, GetQueryResults).
      const data: Row[] = (page.ResultSet?.Rows ?? []).slice(first ? 1 : 0);
      rows.push(...data.map((row) => (row.Data ?? []).map((cell) => cell.VarCharValue ?? null)));
      first = false;
      token = page.NextToken;
    } while (token);
    return { columns, types, rows };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
