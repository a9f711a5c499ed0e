/**
 * The Tidemark ops CLI: `npm run tidemark -- <command>`. Acts on the local runtime by default and
 * on a deployed stack with `--stack NAME` (read from its CloudFormation outputs).
 *
 *   keys create --project P --kind write|secret    prints the new key once; only its hash is stored
 *   keys list --project P
 *   keys revoke <prefix> [--project P]            the prefix `keys list` shows (or the whole key)
 *   dlq inspect [--peek N]                         how many messages (no receive); --peek N looks at N of them
 *   dlq redrive                                    back to the events queue, to be processed again
 *   import <file.ndjson|file.csv>                  through /v1/import, resumable, with a progress bar
 *   sql "SELECT …" [--format table|csv|json]       the lake's `events` view: DuckDB locally, Athena on a stack
 *   lake compact                                   closed project-days rewritten as one file each, each event once
 *   rejections replay --project P --key SECRET --reason R [--from ISO --to ISO]
 *                                                  rejected rows kept in the lake, back through /v1/import
 *   limits get --project P                         the project's quotas (its own, or the defaults)
 *   limits set --project P [--requests-per-second N] [--rows-per-second N] [--bytes-per-second N] [--rows-per-day N]
 *                                                  changes them; ingest applies the change within the key cache time
 *   reconcile --from DAY --to DAY [--project P] [--fix]
 *                                                  recounts stored events, reports (and repairs) counters that differ
 *
 * Secrets never need the command line (where npm echoes them and shells keep them): `import` takes
 * the project's secret key from TIDEMARK_KEY, else asks for it on the terminal without echo.
 * `--key` is still read, for scripts written before, but discouraged.
 */
import { parseArgs } from 'node:util';
import { createKey, isKeyKind, listKeys, revokeKey } from './commands/keys.js';
import { inspectDlq, redriveDlq } from './commands/dlq.js';
import { importFile } from './commands/import.js';
import { promptWithoutEcho } from './prompt.js';
import { compactLake } from './commands/lake.js';
import { replayRejections } from './commands/rejections.js';
import { runSql } from './commands/sql.js';
import { formatResult, isResultFormat } from './lake/format.js';
import { parseDayRange, reconcile } from './commands/reconcile.js';
import { formatLimits, getLimits, QuotaNames, quotaFlag, setLimits } from './commands/limits.js';
import { resolveTarget } from './target.js';

export type Output = {
  out: (line: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
  /** Asks for a secret on the terminal without echoing it; absent when there is no terminal to ask. */
  promptSecret?: (question: string) => Promise<string>;
  /** Where TIDEMARK_KEY is read from (the process environment by default). */
  env?: Record<string, string | undefined>;
};

const USAGE = `usage: tidemark [--stack NAME] [--data-dir DIR] <keys create|keys list|keys revoke|limits get|limits set|dlq inspect|dlq redrive|import|reconcile|sql|lake compact|rejections replay> ...`;

export async function runCli(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stack: { type: 'string' },
      'data-dir': { type: 'string' },
      project: { type: 'string' },
      kind: { type: 'string' },
      key: { type: 'string' },
      format: { type: 'string' },
      'batch-size': { type: 'string' },
      peek: { type: 'string' },
      reason: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      fix: { type: 'boolean' },
      'requests-per-second': { type: 'string' },
      'rows-per-second': { type: 'string' },
      'bytes-per-second': { type: 'string' },
      'rows-per-day': { type: 'string' },
    },
  });
  const [command, sub, arg] = positionals;
  if (!command) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  const target = await resolveTarget({
    ...(values.stack ? { stack: values.stack } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  });
  try {
    if (command === 'keys' && sub === 'create') {
      if (!values.project || !values.kind || !isKeyKind(values.kind)) throw new UsageError('keys create --project P --kind write|secret');
      const key = await createKey(target, values.project, values.kind);
      io.out(`${values.kind} key for project ${values.project} (shown once; only its hash is stored):`);
      io.out(key);
    } else if (command === 'keys' && sub === 'list') {
      if (!values.project) throw new UsageError('keys list --project P');
      for (const record of await listKeys(target, values.project)) {
        io.out(`${record.keyPrefix}…  ${record.kind.padEnd(6)}  created ${record.createdAt}${record.revokedAt ? `  revoked ${record.revokedAt}` : ''}`);
      }
    } else if (command === 'keys' && sub === 'revoke') {
      if (!arg) throw new UsageError('keys revoke <prefix shown by keys list> [--project P]');
      io.out(`revoked ${await revokeKey(target, arg, values.project)}…`);
    } else if (command === 'limits' && (sub === 'get' || sub === 'set')) {
      const flags = QuotaNames.map((name) => `[--${quotaFlag(name)} N]`).join(' ');
      if (!values.project) throw new UsageError(sub === 'get' ? 'limits get --project P' : `limits set --project P ${flags}`);
      let quota;
      if (sub === 'get') {
        quota = await getLimits(target, values.project);
      } else {
        const given = values as Record<string, unknown>;
        const changes = Object.fromEntries(QuotaNames.flatMap((name) => (given[quotaFlag(name)] === undefined ? [] : [[name, String(given[quotaFlag(name)])]])));
        if (Object.keys(changes).length === 0) throw new UsageError(`limits set --project P ${flags}`);
        try {
          quota = await setLimits(target, values.project, changes);
        } catch (error) {
          if (error instanceof RangeError) throw new UsageError(`limits set: ${error.message}`);
          throw error;
        }
      }
      io.out(`quotas of project ${values.project}:`);
      for (const line of formatLimits(quota)) io.out(line);
    } else if (command === 'dlq' && sub === 'inspect') {
      const { count, messages } = await inspectDlq(target, values.peek ? Number(values.peek) : 0);
      io.out(`${count} messages in the DLQ`);
      for (const m of messages) io.out(`${m.messageId}  group ${m.groupId ?? '-'}  receives ${m.receiveCount ?? '-'}  ${m.body}`);
    } else if (command === 'dlq' && sub === 'redrive') {
      const moved = await redriveDlq(target);
      io.out(`${moved} messages sent back to the events queue`);
    } else if (command === 'import') {
      const file = sub;
      if (!file) throw new UsageError('import <file> [--format ndjson|csv] [--batch-size N]  (secret key from TIDEMARK_KEY or the prompt)');
      const report = await importFile({
        apiUrl: target.apiUrl,
        secretKey: await secretKey(values.key, io),
        file,
        ...(values.format === 'csv' || values.format === 'ndjson' ? { format: values.format } : {}),
        ...(values['batch-size'] ? { batchSize: Number(values['batch-size']) } : {}),
        onProgress: progressBar(io),
      });
      if (io.isTTY) io.err('\n');
      io.out(
        `${report.accepted} rows accepted, ${report.rejected} rejected of ${report.total}` +
          (report.resumedFrom > 0 ? ` (resumed after row ${report.resumedFrom})` : '') +
          (report.rejectedFile ? `; rejected rows in ${report.rejectedFile}` : ''),
      );
    } else if (command === 'reconcile') {
      let range;
      try {
        range = parseDayRange(values.from, values.to);
      } catch (error) {
        throw new UsageError(`reconcile --from DAY --to DAY [--project P] [--fix]: ${(error as Error).message}`);
      }
      const report = await reconcile(target, { ...range, ...(values.project ? { projectId: values.project } : {}), fix: Boolean(values.fix) });
      for (const d of report.differences) {
        io.out(`${d.projectId}  ${d.pk}  ${d.sk}  stored count ${d.stored.count} sum ${d.stored.sum}  recounted count ${d.recounted.count} sum ${d.recounted.sum}`);
      }
      io.out(
        `${report.events} events recounted; ${report.counters} counters checked, ${report.differences.length} differ` +
          (values.fix ? `; ${report.fixed} repaired${report.movedMeanwhile > 0 ? `, ${report.movedMeanwhile} moved meanwhile (run again when the range is quiet)` : ''}` : ''),
      );
      return report.differences.length > 0 && !values.fix ? 3 : 0;
    } else if (command === 'sql') {
      const format = values.format ?? 'table';
      if (!sub || !isResultFormat(format)) throw new UsageError('sql "SELECT …" [--format table|csv|json]');
      const result = await runSql(target, sub, (state) => io.err(io.isTTY ? `\r${state}   ` : `${state}\n`));
      if (io.isTTY) io.err('\n');
      for (const line of formatResult(result, format)) io.out(line);
    } else if (command === 'lake' && sub === 'compact') {
      const outcomes = await compactLake(target);
      for (const o of outcomes) {
        io.out(`${o.partition.projectId} ${o.partition.day}: ${o.filesRead} files, ${o.rowsRead} rows -> 1 file, ${o.rowsWritten} rows (${o.bytes} bytes)`);
      }
      io.out(`${outcomes.length} project-days compacted`);
    } else if (command === 'rejections' && sub === 'replay') {
      const usage = 'rejections replay --project P --key SECRET_KEY --reason REASON [--from ISO] [--to ISO]';
      if (!values.project || !values.key || !values.reason) throw new UsageError(usage);
      const time = (text: string | undefined) => {
        if (text === undefined) return undefined;
        const ms = Date.parse(text);
        if (!Number.isFinite(ms)) throw new UsageError(usage);
        return ms;
      };
      const fromMs = time(values.from);
      const toMs = time(values.to);
      const report = await replayRejections(target, {
        projectId: values.project,
        secretKey: values.key,
        reason: values.reason,
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(toMs === undefined ? {} : { toMs }),
        onProgress: progressBar(io),
      });
      if (io.isTTY) io.err('\n');
      const refused = Object.entries(report.rejected).map(([reason, n]) => `${n} ${reason}`);
      io.out(`${report.found} rows found, ${report.accepted} accepted${refused.length > 0 ? `, rejected again: ${refused.join(', ')}` : ''}`);
    } else {
      throw new UsageError(USAGE);
    }
    return 0;
  } catch (error) {
    io.err(`${error instanceof UsageError ? `usage: tidemark ${error.message}` : `error: ${(error as Error).message}`}\n`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    target.close();
  }
}

class UsageError extends Error {}

async function secretKey(fromFlag: string | undefined, io: Output): Promise<string> {
  const fromEnv = (io.env ?? process.env).TIDEMARK_KEY;
  if (fromFlag) {
    io.err('warning: --key puts the secret key in your shell history and in npm\'s echo of the command; set TIDEMARK_KEY or answer the prompt instead\n');
    return fromFlag;
  }
  if (fromEnv) return fromEnv;
  if (!io.promptSecret) throw new UsageError('import needs the project\'s secret key: set TIDEMARK_KEY (there is no terminal to ask on)');
  const answer = (await io.promptSecret('secret key: ')).trim();
  if (!answer) throw new UsageError('import needs the project\'s secret key');
  return answer;
}

function progressBar(io: Output) {
  let lastTenth = -1;
  return (settled: number, total: number) => {
    const share = total === 0 ? 1 : settled / total;
    if (io.isTTY) {
      const filled = Math.round(share * 30);
      io.err(`\r[${'#'.repeat(filled)}${' '.repeat(30 - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${settled}/${total}`);
    } else if (Math.floor(share * 10) > lastTenth) {
      lastTenth = Math.floor(share * 10);
      io.err(`${settled}/${total} rows\n`);
    }
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const code = await runCli(process.argv.slice(2), {
    out: (line) => console.log(line),
    err: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stderr.isTTY),
    ...(process.stdin.isTTY ? { promptSecret: promptWithoutEcho } : {}),
  });
  process.exit(code);
}
