/**
 * `npm start`: the whole Tidemark pipeline on this machine. Prints one line with the URL when ready.
 */
// Metrics go to CloudWatch as EMF on AWS; on a laptop they would only flood the terminal.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The SDK warns that releases after January 2027 need Node 22; the pinned versions here run on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Before any function module: Powertools looks for the per-invocation store on first use.
await import('./invocation-context.js');
const { startRuntime, DemoProject } = await import('./runtime.js');
const { LocalRuntime } = await import('../resources/index.js');

const runtime = await startRuntime({
  port: Number(process.env.PORT ?? LocalRuntime.defaultPort),
  log: (line) => console.error(line),
});
console.log(
  `Tidemark is ready at ${runtime.url} (project '${DemoProject.projectId}', write key '${DemoProject.writeKey}', secret key '${DemoProject.secretKey}'); console at ${runtime.url}/console/`,
);

// Ctrl-C drains: no new requests, and what was accepted is processed before the engines stop. A
// second Ctrl-C stops at once; what is still queued is journaled and processed after the next start.
let signals = 0;
const stop = async (code: number) => {
  await runtime.stop();
  process.exit(code);
};
const onSignal = (signal: NodeJS.Signals) => {
  signals++;
  if (signals > 1) {
    console.error(`${signal}: stopping now; the queued messages are kept in the data directory and processed after the next start`);
    void stop(0);
    return;
  }
  const started = Date.now();
  console.error(`${signal}: draining the queue before stopping (Ctrl-C again to stop now; nothing accepted is lost either way)…`);
  runtime
    .drain((left) => console.error(`draining: ${left} messages left in the events queue`))
    .then(() => {
      console.error(`drained in ${((Date.now() - started) / 1000).toFixed(1)} s; stopping Tidemark`);
      return stop(0);
    })
    .catch((error: unknown) => {
      console.error(`drain failed (${(error as Error).message}); stopping, the queue is kept for the next start`);
      return stop(1);
    });
};
// SIGHUP too: DynamoDB Local runs in its own process group, so a closed terminal reaches only us.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
export {};
