import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../cli/lake/duckdb-engine.js';
import { withEventsView } from '../../cli/lake/views.js';
import { formatResult } from '../../cli/lake/format.js';
import { encodeParquet } from '../../lambdas/core/lake-parquet.js';
import { rejectionObjectKey, rejectionRowOf } from '../../lambdas/core/lake-rows.js';
import { writeItemsToLake } from '../../lambdas/lake/lake.js';
import { FileLakeObjects } from '../../local/file-lake-objects.js';
import { LakeRejectionColumns } from '../../resources/index.js';

/** A lake folder of its own for one test, removed afterwards. */
async function withLakeDir(use: (lakeDir: string) => Promise<void>): Promise<void> {
  const lakeDir = mkdtempSync(join(tmpdir(), 'tidemark-lake-'));
  try {
    await use(lakeDir);
  } finally {
    rmSync(lakeDir, { recursive: true, force: true });
  }
}

/** DuckDB over that folder, as `tidemark sql` opens it, closed afterwards. */
async function withEngine(lakeDir: string, use: (engine: DuckDbEngine) => Promise<void>): Promise<void> {
  const engine = await DuckDbEngine.open(lakeDir);
  try {
    await use(engine);
  } finally {
    await engine.close();
  }
}

/** One row rejected as too old, as ingest keeps it. */
const keptRejection = {
  index: 0,
  reason: 'too_old',
  error: 'old',
  retryable: false,
  receivedAt: '2026-01-01T10:00:00.000Z',
  requestId: 'r',
  row: { event: 'e' },
};

describe('the Athena events view', () => {
  it('puts the dedup view in front of a statement', () => {
    const sql = withEventsView("SELECT count(*) FROM events WHERE project = 'demo'");
    expect(sql).toMatch(
      /^WITH events AS \(SELECT .* FROM \(SELECT \*, row_number\(\) OVER \(PARTITION BY "project", "dt", "eventid" ORDER BY "\$path"\) AS copy_rank FROM "tidemark_lake"\."events_raw"\) WHERE copy_rank = 1\)\nSELECT count\(\*\) FROM events/s,
    );
  });

  it("joins the operator's own WITH list instead of nesting a second WITH", () => {
    const sql = withEventsView("  with recent AS (SELECT * FROM events WHERE dt > '2026-01-01') SELECT count(*) FROM recent");
    expect(sql.match(/\bWITH\b/gi)).toHaveLength(1);
    expect(sql).toContain('events AS (');
    expect(sql).toContain(",\nrecent AS (SELECT * FROM events WHERE dt > '2026-01-01') SELECT count(*) FROM recent");
  });
});

describe('the Athena events view, around what else an operator sends', () => {
  it('joins a WITH list behind leading comments, and sends a statement that never names events as it is', () => {
    const commented = withEventsView("-- last week\n/* by day */ WITH recent AS (SELECT * FROM events WHERE dt > '2026-01-01') SELECT 1");
    expect(commented.match(/\bWITH\b/gi)).toHaveLength(1);
    expect(commented).toMatch(/^-- last week\n\/\* by day \*\/ WITH events AS \(/);
    for (const statement of ['SHOW TABLES', 'SHOW PARTITIONS events_raw', 'SELECT count(*) FROM rejections'])
      expect(withEventsView(statement)).toBe(statement);
    for (const statement of [
      'SELECT * FROM Events',
      'SELECT * FROM "events"',
      'SELECT * FROM tidemark_lake.events_raw JOIN events USING (eventid)',
    ])
      expect(withEventsView(statement)).toMatch(/^WITH events AS \(/);
  });
});

describe('result formats', () => {
  const result = {
    columns: ['event', 'n'],
    types: ['VARCHAR', 'BIGINT'],
    rows: [
      ['a "quoted", thing', '2'],
      [null, '10'],
    ],
  };

  it('writes CSV as RFC 4180 does: quotes doubled, fields with commas quoted, null empty', () => {
    expect(formatResult(result, 'csv')).toEqual(['event,n', '"a ""quoted"", thing",2', ',10']);
  });

  it('writes one JSON object per row', () => {
    expect(formatResult(result, 'json').map((line) => JSON.parse(line))).toEqual([
      { event: 'a "quoted", thing', n: '2' },
      { event: null, n: '10' },
    ]);
  });

  it('aligns a table and counts its rows', () => {
    const lines = formatResult(result, 'table');
    expect(lines[0]).toBe('event             | n');
    expect(lines.at(-1)).toBe('(2 rows)');
  });
});

describe('the DuckDB rejections view', () => {
  it('reads sentat and replayrow as NULL when every file predates the columns', async () => {
    await withLakeDir(async (lakeDir) => {
      const oldColumns = LakeRejectionColumns.filter((column) => column.name !== 'sentat' && column.name !== 'replayrow');
      await new FileLakeObjects(lakeDir).put(
        rejectionObjectKey('demo', keptRejection.receivedAt, 'r'),
        encodeParquet(oldColumns, [rejectionRowOf(keptRejection)]),
      );
      await withEngine(lakeDir, async (engine) => {
        const result = await engine.query(`SELECT "row", sentat, typeof(sentat) AS t, replayrow, dt FROM rejections`);
        expect(result.rows).toEqual([['{"event":"e"}', null, 'TIMESTAMP', null, '2026-01-01']]);
      });
    });
  });
});

describe('the DuckDB events view', () => {
  type PlanNode = { operator_type?: string; operator_cardinality?: number; children?: PlanNode[] };
  const rowsScanned = (node: PlanNode): number =>
    (node.operator_type === 'TABLE_SCAN' ? (node.operator_cardinality ?? 0) : 0) +
    (node.children ?? []).reduce((sum, child) => sum + rowsScanned(child), 0);

  it("reads only the filtered day's files, each event once, so a day's query on Athena scans (and bills) that day alone", async () => {
    // Prepare: ten days of three events each, every event written twice (a redelivery with other boundaries).
    await withLakeDir(async (lakeDir) => {
      const lake = new FileLakeObjects(lakeDir);
      const items = Array.from({ length: 30 }, (_, i) => ({
        projectId: 'demo',
        eventId: `e${i}`,
        event: 'screen',
        deviceId: 'd1',
        sessionId: 's1',
        timestamp: new Date(Date.parse('2024-03-01T12:00:00.000Z') + (i % 10) * 86_400_000).toISOString(),
        receivedAt: '2024-03-11T00:00:00.000Z',
        properties: '{}',
      }));
      await writeItemsToLake('batch-1-30.parquet', items, lake);
      await writeItemsToLake('batch-1-15.parquet', items.slice(0, 15), lake);
      await withEngine(lakeDir, async (engine) => {
        // Act
        const day = `FROM events WHERE project = 'demo' AND dt = '2024-03-02'`;
        const counted = await engine.query(`SELECT count(*) AS n, count(DISTINCT eventid) AS ids ${day}`);
        const plan = await engine.query(`EXPLAIN (ANALYZE, FORMAT json) SELECT count(*) ${day}`);
        // Assess: three events; the five rows of the day's two files read, not the forty-five of all days.
        expect(counted.rows).toEqual([['3', '3']]);
        expect(rowsScanned(JSON.parse(String(plan.rows[0]![1])) as PlanNode)).toBe(5);
      });
    });
  });
});

describe('properties with a lone surrogate', () => {
  it('are queried as JSON like any other row: the surrogate is U+FFFD in the lake, pairs and digits past 2^53 unchanged', async () => {
    // A lone surrogate reaches DynamoDB as an escape in the stored JSON text; DuckDB refused it and failed the whole query.
    await withLakeDir(async (lakeDir) => {
      const properties = '{"lone":"a\\ud800b","pair":"\\ud83d\\ude00","text":"\\\\ud800","big":12345678901234567890123}';
      const item = {
        projectId: 'demo',
        eventId: 'e1',
        event: 'screen',
        deviceId: 'd1',
        sessionId: 's1',
        timestamp: '2024-03-01T12:00:00.000Z',
        receivedAt: '2024-03-01T12:00:01.000Z',
        properties,
      };
      await writeItemsToLake('batch-1-1.parquet', [item], new FileLakeObjects(lakeDir));
      await withEngine(lakeDir, async (engine) => {
        const result = await engine.query(
          `SELECT properties->>'$.lone' AS lone, properties->>'$.pair' AS pair, properties->>'$.text' AS text, properties FROM events`,
        );
        expect(result.rows[0]!.slice(0, 3)).toEqual(['a\ufffdb', '\u{1F600}', '\\ud800']);
        expect(String(result.rows[0]![3])).toBe(properties.replace('a\\ud800b', 'a\\ufffdb'));
      });
    });
  });
});

describe('a file DuckDB cannot read in the local lake', () => {
  it('fails only the statements that read its prefix, naming the file, and rejections stay readable', async () => {
    await withLakeDir(async (lakeDir) => {
      // Prepare: one kept rejection, and an empty file among the events (a copy cut short).
      await new FileLakeObjects(lakeDir).put(
        rejectionObjectKey('demo', keptRejection.receivedAt, 'r'),
        encodeParquet(LakeRejectionColumns, [rejectionRowOf(keptRejection)]),
      );
      const broken = join(lakeDir, 'events/project=demo/dt=2026-01-01/batch-1-2.parquet');
      mkdirSync(join(broken, '..'), { recursive: true });
      writeFileSync(broken, '');
      // Act
      await withEngine(lakeDir, async (engine) => {
        // Assess
        expect((await engine.query('SELECT count(*) FROM rejections')).rows).toEqual([['1']]);
        await expect(engine.query('SELECT count(*) FROM events')).rejects.toThrow(/view events is missing: .*batch-1-2\.parquet/);
      });
    });
  });
});
