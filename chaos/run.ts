/**
 * `npm run chaos [-- --events N --rate R --seed S]`: the chaos scenario at full size (100,000 events,
 * 10% of every fault by default); prints what was injected and what survived; exits 1 on any loss
 * or double count.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { parseArgs } = await import('node:util');
const { runChaos } = await import('./scenario.js');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    devices: { type: 'string', default: '400' },
    rate: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '7' },
    concurrency: { type: 'string', default: '6' },
  },
});
const started = Date.now();
const report = await runChaos({
  events: Number(values.events),
  devices: Number(values.devices),
  batchSize: 100,
  concurrency: Number(values.concurrency),
  faultRate: Number(values.rate),
  resendRate: Number(values.rate),
  poisonMessages: 5,
  hostileRate: 0.05,
  seed: Number(values.seed),
  quietMs: 3 * 60_000,
  timeoutMs: 60 * 60_000,
  log: (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`),
});
console.log('fault injected                 times');
for (const [kind, count] of Object.entries(report.injected)) console.log(`${kind.padEnd(30)} ${count}`);
console.log('');
console.log(`rows sent ${report.sent.rows} in ${report.sent.requests} requests (${report.sent.wholeBatchResends} whole-batch resends, ${report.sent.retryableRowsResent} retryable rows resent)`);
console.log(`accepted ${report.accepted} (${report.hostileRows} hostile rows sent), stored ${report.storedEvents}, missing ${report.missing}, stored but never accepted ${report.unexpected}`);
if (report.missingIds.length > 0) console.log(`missing: ${report.missingIds.join(', ')}`);
console.log(`counters equal the ground truth: ${report.countersMatch ? 'yes' : `NO\n${report.counterMismatches.join('\n')}`}`);
console.log(`DLQ: ${report.deadLetters.poison} poison messages (all expected), ${report.deadLetters.other} others`);
if (report.silentFaultKinds.length > 0) console.log(`fault kinds that never fired: ${report.silentFaultKinds.join(', ')}`);
console.log(report.ok && report.silentFaultKinds.length === 0 ? 'CHAOS PASSED: nothing lost, nothing counted twice' : 'CHAOS FAILED');
process.exit(report.ok && report.silentFaultKinds.length === 0 ? 0 : 1);
export {};
