/**
 * `npm run chaos [-- --events N --rate R --seed S]`: the chaos scenario at full size (100,000 events,
 * 10% of every fault by default); prints what was injected and what survived; exits 1 on any loss
 * or double count. `--help` lists the flags.
 */
import { Command } from 'commander';
import { positiveInteger, shareOfOne } from '../cli/arguments.js';
import { processOutput, runProgram, type Outcome, type Output } from '../cli/run-program.js';

// Set before the scenario (and with it Powertools and the AWS SDK) is imported, below.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type ChaosOptions = { events: number; devices: number; rate: number; seed: number; concurrency: number };

function buildChaos(io: Output, outcome: Outcome) {
  return new Command('chaos')
    .description('Run the chaos scenario against the local runtime: faults injected everywhere, nothing may be lost or counted twice.')
    .option('--events <n>', 'events to send', positiveInteger, 100_000)
    .option('--devices <n>', 'devices sending them', positiveInteger, 400)
    .option('--rate <share>', 'share of every fault and of client resends (0..1)', shareOfOne, 0.1)
    .option('--seed <n>', 'seed of the random choices, to replay a run', positiveInteger, 7)
    .option('--concurrency <n>', 'requests in flight', positiveInteger, 6)
    .action(async (options: ChaosOptions) => {
      outcome.exitCode = await runChaosAndReport(options, io);
    });
}

async function runChaosAndReport(options: ChaosOptions, io: Output): Promise<number> {
  const { runChaos } = await import('./scenario.js');
  const started = Date.now();
  const report = await runChaos({
    events: options.events,
    devices: options.devices,
    batchSize: 100,
    concurrency: options.concurrency,
    faultRate: options.rate,
    resendRate: options.rate,
    poisonMessages: 5,
    hostileRate: 0.05,
    seed: options.seed,
    quietMs: 3 * 60_000,
    timeoutMs: 60 * 60_000,
    log: (line) => io.err(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`),
  });
  io.out('fault injected                 times');
  for (const [kind, count] of Object.entries(report.injected)) io.out(`${kind.padEnd(30)} ${count}`);
  io.out('');
  io.out(
    `rows sent ${report.sent.rows} in ${report.sent.requests} requests (${report.sent.wholeBatchResends} whole-batch resends, ${report.sent.retryableRowsResent} retryable rows resent)`,
  );
  io.out(
    `accepted ${report.accepted} (${report.hostileRows} hostile rows sent), stored ${report.storedEvents}, missing ${report.missing}, stored but never accepted ${report.unexpected}`,
  );
  if (report.missingIds.length > 0) io.out(`missing: ${report.missingIds.join(', ')}`);
  io.out(`counters equal the ground truth: ${report.countersMatch ? 'yes' : `NO\n${report.counterMismatches.join('\n')}`}`);
  io.out(`DLQ: ${report.deadLetters.poison} poison messages (all expected), ${report.deadLetters.other} others`);
  if (report.silentFaultKinds.length > 0) io.out(`fault kinds that never fired: ${report.silentFaultKinds.join(', ')}`);
  const passed = report.ok && report.silentFaultKinds.length === 0;
  io.out(passed ? 'CHAOS PASSED: nothing lost, nothing counted twice' : 'CHAOS FAILED');
  return passed ? 0 : 1;
}

process.exit(await runProgram(buildChaos, process.argv.slice(2), processOutput()));
