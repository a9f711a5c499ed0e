/**
 * `npm start`: the whole Tidemark pipeline on this machine. Prints one line with the URL when ready.
 *
 * Started as `node --import tsx local/main.ts`, not through the `tsx` command: that command waits
 * 30 ms for its child to acknowledge a signal, then sends it again, and 30 ms later SIGKILLs it
 * (tsx 4.23 `relaySignals`, dist/cli.mjs). A runtime busy for longer than that (draining a backlog)
 * took one Ctrl-C as two, or was killed before it could stop its engines.
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

const port = Number(process.env.PORT ?? LocalRuntime.defaultPort);
const runtime = await startRuntime({ port, log: (line) => console.error(line) }).catch((error: NodeJS.ErrnoException) => {
  // One line that says what to do, not a stack trace.
  const reason =
    error.code === 'EADDRINUSE' ? `port ${port} is in use; start on another one, e.g. PORT=${port + 1} npm start` : error.message;
  console.error(`error: ${reason}`);
  process.exit(1);
});
console.log(
  `Tidemark is ready at ${runtime.url} (project '${DemoProject.projectId}', write key '${DemoProject.writeKey}', secret key '${DemoProject.secretKey}'); console at ${runtime.url}/console/`,
);

// Ctrl-C drains: no new requests, and what was accepted is processed before the engines stop. A
// second Ctrl-C stops at once; what is still queued is journaled and processed after the next start.
let signals = 0;
let exitCode: number | undefined;
const stop = async (code: number) => {
  // The first outcome decides the exit code: a drain cut short by a second Ctrl-C is not a failure.
  exitCode ??= code;
  await runtime.stop();
  process.exit(exitCode);
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
      // After a second Ctrl-C the drain fails because the runtime is stopping: that is the stop asked for, not an error.
      if (signals > 1) return;
      console.error(`drain failed (${(error as Error).message}); stopping, the queue is kept for the next start`);
      return stop(1);
    });
};
// SIGHUP too: DynamoDB Local runs in its own process group, so a closed terminal reaches only us.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
export {};
