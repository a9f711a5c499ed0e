/**
 * `npm start`: the whole Tidemark pipeline on this machine. Prints one line with the URL when ready.
 */
// Metrics go to CloudWatch as EMF on AWS; on a laptop they would only flood the terminal.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The SDK warns that releases after January 2027 need Node 22; the pinned versions here run on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { startRuntime, DemoProject } = await import('./runtime.js');

const runtime = await startRuntime({
  port: Number(process.env.PORT ?? 3000),
  log: (line) => console.error(line),
});
console.log(
  `Tidemark is ready at ${runtime.url} (project '${DemoProject.projectId}', write key '${DemoProject.writeKey}', secret key '${DemoProject.secretKey}'); console at ${runtime.url}/console/`,
);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`${signal}: stopping Tidemark…`);
  await runtime.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
export {};
