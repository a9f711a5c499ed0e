/**
 * The ops CLI's commands, on commander: each command and subcommand has its own `--help`, its
 * arguments and flags are checked before anything runs, and acts on the target named by the
 * global `--stack` / `--data-dir` (resolved only when a command needs it).
 */
import { Command, Option } from 'commander';
import { isoTime, positiveInteger } from './arguments.js';
import { inspectDlq, redriveDlq } from './commands/dlq.js';
import { importFile } from './commands/import.js';
import { createKey, isKeyKind, listKeys, revokeKey } from './commands/keys.js';
import { backfillLake, compactLake } from './commands/lake.js';
import { formatLimits, getLimits, LimitNames, quotaFlag, setLimits } from './commands/limits.js';
import { parseDayRange, reconcile } from './commands/reconcile.js';
import { replayRejections } from './commands/rejections.js';
import { runSql } from './commands/sql.js';
import { formatResult, isResultFormat } from './lake/format.js';
import { UsageError, type Outcome, type Output } from './run-program.js';
import { resolveTarget, type Target } from './target.js';

type GlobalOptions = { stack?: string; dataDir?: string };

/** Differences found and left unfixed: the exit code a script or cron job can alert on. */
const CountersDifferExitCode = 3;

export function buildCli(io: Output, outcome: Outcome): Command {
  const program = new Command('tidemark')
    .description('Operate Tidemark: the local runtime by default, a deployed stack with --stack.')
    .option('--stack <name>', 'act on this deployed stack (read from its CloudFormation outputs)')
    .option('--data-dir <dir>', "the local runtime's data directory (default: $TIDEMARK_DATA_DIR or .tidemark)")
    .showSuggestionAfterError(true);

  /** Runs `act` on the target the global flags name, and always releases its clients. */
  const onTarget = async (command: Command, act: (target: Target) => Promise<void>) => {
    const { stack, dataDir } = command.optsWithGlobals<GlobalOptions>();
    const target = await resolveTarget({ ...(stack ? { stack } : {}), ...(dataDir ? { dataDir } : {}) });
    try {
      await act(target);
    } finally {
      target.close();
    }
  };

  const keys = program.command('keys').description('project keys: create, list, revoke');
  keys
    .command('create')
    .description('create a key; prints it once (only its hash is stored)')
    .requiredOption('--project <id>', 'the project the key belongs to')
    .addOption(
      new Option('--kind <kind>', 'write (SDKs, public) or secret (import, queries)').choices(['write', 'secret']).makeOptionMandatory(),
    )
    .action((options: { project: string; kind: string }, command: Command) =>
      onTarget(command, async (target) => {
        if (!isKeyKind(options.kind)) return;
        const key = await createKey(target, options.project, options.kind);
        io.out(`${options.kind} key for project ${options.project} (shown once; only its hash is stored):`);
        io.out(key);
      }),
    );
  keys
    .command('list')
    .description("list a project's keys by prefix, kind and dates")
    .requiredOption('--project <id>', 'the project')
    .action((options: { project: string }, command: Command) =>
      onTarget(command, async (target) => {
        for (const record of await listKeys(target, options.project)) {
          io.out(
            `${record.keyPrefix}…  ${record.kind.padEnd(6)}  created ${record.createdAt}${record.revokedAt ? `  revoked ${record.revokedAt}` : ''}`,
          );
        }
      }),
    );
  keys
    .command('revoke')
    .description('revoke a key by the prefix `keys list` shows, or by the whole key')
    .argument('<prefix>', 'the prefix shown by `keys list` (or the whole key)')
    .option('--project <id>', 'only revoke a key of this project')
    .action((prefix: string, options: { project?: string }, command: Command) =>
      onTarget(command, async (target) => {
        const revoked = await revokeKey(target, prefix, options.project);
        io.out(
          revoked.already
            ? `${revoked.keyPrefix}… was already revoked at ${revoked.revokedAt}`
            : `revoked ${revoked.keyPrefix}… at ${revoked.revokedAt}`,
        );
      }),
    );

  const limits = program
    .command('limits')
    .description("a project's quotas and caps: get, set (ingest applies a change within the key cache time)");
  const printLimits = (projectId: string, quota: Awaited<ReturnType<typeof getLimits>>) => {
    io.out(`quotas and caps of project ${projectId}:`);
    for (const line of formatLimits(quota)) io.out(line);
  };
  limits
    .command('get')
    .description("the project's quotas and caps: its own, or the defaults")
    .requiredOption('--project <id>', 'the project')
    .action((options: { project: string }, command: Command) =>
      onTarget(command, async (target) => printLimits(options.project, await getLimits(target, options.project))),
    );
  const set = limits
    .command('set')
    .description('change some quotas or caps; the others keep their value')
    .requiredOption('--project <id>', 'the project');
  for (const name of LimitNames) set.option(`--${quotaFlag(name)} <n>`, `${name}, a positive integer`);
  set.action((options: Record<string, string> & { project: string }, command: Command) =>
    onTarget(command, async (target) => {
      const changes = Object.fromEntries(LimitNames.flatMap((name) => (options[name] === undefined ? [] : [[name, options[name]]])));
      if (Object.keys(changes).length === 0)
        throw new UsageError(`limits set --project P ${LimitNames.map((name) => `[--${quotaFlag(name)} N]`).join(' ')}`);
      try {
        printLimits(options.project, await setLimits(target, options.project, changes));
      } catch (error) {
        if (error instanceof RangeError) throw new UsageError(`limits set: ${error.message}`);
        throw error;
      }
    }),
  );

  const dlq = program.command('dlq').description('the dead-letter queue: inspect, redrive');
  dlq
    .command('inspect')
    .description("how many messages (from the queue's attributes: no receive); --peek N looks at N of them")
    .option('--peek <n>', 'receive and show this many messages (a receive hides them from other readers meanwhile)', positiveInteger)
    .action((options: { peek?: number }, command: Command) =>
      onTarget(command, async (target) => {
        const { count, messages } = await inspectDlq(target, options.peek ?? 0);
        io.out(`${count} messages in the DLQ`);
        for (const m of messages) io.out(`${m.messageId}  group ${m.groupId ?? '-'}  receives ${m.receiveCount ?? '-'}  ${m.body}`);
      }),
    );
  dlq
    .command('redrive')
    .description('send every message back to the events queue, to be processed again')
    .action((_options: unknown, command: Command) =>
      onTarget(command, async (target) => {
        io.out(`${await redriveDlq(target)} messages sent back to the events queue`);
      }),
    );

  program
    .command('import')
    .description('import rows through /v1/import, resumable, with a progress bar; the secret key comes from TIDEMARK_KEY or a prompt')
    .argument('<file>', 'an NDJSON or CSV file')
    .option('--key <secret>', "the project's secret key (discouraged: it lands in shell history; set TIDEMARK_KEY or answer the prompt)")
    .addOption(new Option('--format <format>', "the file's format (default: from its extension)").choices(['ndjson', 'csv']))
    .option('--batch-size <n>', 'rows per request', positiveInteger)
    .action((file: string, options: { key?: string; format?: 'ndjson' | 'csv'; batchSize?: number }, command: Command) =>
      onTarget(command, async (target) => {
        const report = await importFile({
          apiUrl: target.apiUrl,
          secretKey: await secretKey(options.key, io, 'import'),
          file,
          ...(options.format ? { format: options.format } : {}),
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
          onProgress: progressBar(io),
        });
        if (io.isTTY) io.err('\n');
        io.out(
          `${report.accepted} rows accepted, ${report.rejected} rejected of ${report.total}` +
            (report.resumedFrom > 0 ? ` (resumed after row ${report.resumedFrom})` : '') +
            (report.rejectedFile ? `; rejected rows in ${report.rejectedFile}` : ''),
        );
      }),
    );

  program
    .command('reconcile')
    .description('recount stored events; report (and with --fix repair) counters that differ; exits 3 when some differ unfixed')
    .requiredOption('--from <day>', 'first UTC day, YYYY-MM-DD')
    .requiredOption('--to <day>', 'the UTC day after the last one (exclusive), YYYY-MM-DD')
    .option('--project <id>', 'only this project')
    .option('--fix', 'set each differing counter to the recount', false)
    .action((options: { from: string; to: string; project?: string; fix: boolean }, command: Command) => {
      const range = dayRangeOption(options, command);
      return onTarget(command, async (target) => {
        const report = await reconcile(target, { ...range, ...(options.project ? { projectId: options.project } : {}), fix: options.fix });
        for (const d of report.differences) {
          io.out(
            `${d.projectId}  ${d.pk}  ${d.sk}  stored count ${d.stored.count} sum ${d.stored.sum}  recounted count ${d.recounted.count} sum ${d.recounted.sum}`,
          );
        }
        io.out(
          `${report.events} events recounted; ${report.counters} counters checked, ${report.differences.length} differ` +
            (options.fix
              ? `; ${report.fixed} repaired${report.movedMeanwhile > 0 ? `, ${report.movedMeanwhile} moved meanwhile (run again when the range is quiet)` : ''}`
              : ''),
        );
        if (report.differences.length > 0 && !options.fix) outcome.exitCode = CountersDifferExitCode;
      });
    });

  program
    .command('sql')
    .description("query the lake's `events` view: DuckDB locally, Athena on a stack")
    .argument('<statement>', 'the SQL statement, e.g. "SELECT count(*) FROM events"')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .action((statement: string, options: { format: string }, command: Command) =>
      onTarget(command, async (target) => {
        if (!isResultFormat(options.format)) return;
        const result = await runSql(target, statement, (state) => io.err(io.isTTY ? `\r${state}   ` : `${state}\n`));
        if (io.isTTY) io.err('\n');
        for (const line of formatResult(result, options.format)) io.out(line);
      }),
    );

  const lake = program.command('lake').description('the lake of stored events: compact, backfill');
  lake
    .command('compact')
    .description('rewrite each closed project-day as one file, each event once')
    .action((_options: unknown, command: Command) =>
      onTarget(command, async (target) => {
        const outcomes = await compactLake(target);
        for (const o of outcomes) {
          io.out(
            `${o.partition.projectId} ${o.partition.day}: ${o.filesRead} files, ${o.rowsRead} rows -> 1 file, ${o.rowsWritten} rows (${o.bytes} bytes)`,
          );
        }
        io.out(`${outcomes.length} project-days compacted`);
      }),
    );
  lake
    .command('backfill')
    .description("write the range's events still in DynamoDB (the hot tier) to the lake again: for days the lake writer missed")
    .requiredOption('--from <day>', 'first UTC day of event time, YYYY-MM-DD')
    .requiredOption('--to <day>', 'the UTC day after the last one (exclusive), YYYY-MM-DD')
    .option('--project <id>', 'only this project')
    .action((options: { from: string; to: string; project?: string }, command: Command) => {
      const range = dayRangeOption(options, command);
      return onTarget(command, async (target) => {
        const report = await backfillLake(target, { ...range, ...(options.project ? { projectId: options.project } : {}) });
        for (const { key, reason } of report.unplaceable) io.err(`left out: ${key}: ${reason}\n`);
        io.out(
          `${report.events} events written to ${report.objects} lake objects (${report.bytes} bytes); the events view shows each once` +
            (report.unplaceable.length > 0 ? `; ${report.unplaceable.length} stored events could not be lake rows (listed above)` : ''),
        );
      });
    });

  program
    .command('rejections')
    .description('rejected rows kept in the lake')
    .command('replay')
    .description('send rejected rows back through /v1/import; the secret key comes from TIDEMARK_KEY or a prompt')
    .requiredOption('--project <id>', 'the project')
    .option('--key <secret>', "the project's secret key (discouraged: it lands in shell history; set TIDEMARK_KEY or answer the prompt)")
    .requiredOption('--reason <reason>', 'the reason the rows were rejected for, such as too_old')
    .option('--from <iso>', 'rejected at or after this time', isoTime)
    .option('--to <iso>', 'rejected before this time', isoTime)
    .action((options: { project: string; key?: string; reason: string; from?: number; to?: number }, command: Command) =>
      onTarget(command, async (target) => {
        const report = await replayRejections(target, {
          projectId: options.project,
          secretKey: await secretKey(options.key, io, 'rejections replay'),
          reason: options.reason,
          ...(options.from === undefined ? {} : { fromMs: options.from }),
          ...(options.to === undefined ? {} : { toMs: options.to }),
          onProgress: progressBar(io),
        });
        if (io.isTTY) io.err('\n');
        const refused = Object.entries(report.rejected).map(([reason, n]) => `${n} ${reason}`);
        io.out(
          `${report.found} rows found, ${report.accepted} accepted${refused.length > 0 ? `, rejected again: ${refused.join(', ')}` : ''}`,
        );
      }),
    );

  return program;
}

/** `--from`/`--to` as whole UTC days (`--to` exclusive), or the command's one-line usage error. */
function dayRangeOption(options: { from: string; to: string }, command: Command): { fromMs: number; toMs: number } {
  try {
    return parseDayRange(options.from, options.to);
  } catch (error) {
    return command.error(`error: ${(error as Error).message}`);
  }
}

/**
 * Secrets never need the command line (where npm echoes them and shells keep them): the key comes
 * from TIDEMARK_KEY, else from a prompt without echo; `--key` is still read, for scripts written before.
 */
async function secretKey(fromFlag: string | undefined, io: Output, command: string): Promise<string> {
  const fromEnv = (io.env ?? process.env).TIDEMARK_KEY;
  if (fromFlag) {
    io.err(
      "warning: --key puts the secret key in your shell history and in npm's echo of the command; set TIDEMARK_KEY or answer the prompt instead\n",
    );
    return fromFlag;
  }
  if (fromEnv) return fromEnv;
  if (!io.promptSecret)
    throw new UsageError(`${command} needs the project's secret key: set TIDEMARK_KEY (there is no terminal to ask on)`);
  const answer = (await io.promptSecret('secret key: ')).trim();
  if (!answer) throw new UsageError(`${command} needs the project's secret key`);
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
