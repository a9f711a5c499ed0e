/**
 * Runs one cold invocation of a bundled Lambda handler the way the Node.js runtime would: a fresh
 * process, the bundle's `index.js` required, its handler called with the event read from stdin.
 * The bundle may require Node's built-in modules, its own files and `@aws-sdk/*` (which the
 * Lambda Node.js runtime provides, and NodejsFunction leaves out of bundles); any other module is
 * refused, as the runtime would fail to find it. Writes `{ ok, result | error, importMs }` to fd 3.
 *
 *   node lambda-runner.cjs <bundleDir> <module.export> <sdkRoot> <timeoutSeconds> [--import-only]
 *
 * The context's remaining time counts down from the function's timeout, as Lambda's does.
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const [bundleDir, handlerName, sdkRoot, timeoutSeconds, mode] = process.argv.slice(2);
const [file, exportName] = handlerName.split('.');
const report = (outcome) => fs.writeSync(3, JSON.stringify(outcome));

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const fromBundle = parent && typeof parent.filename === 'string' && parent.filename.startsWith(bundleDir + path.sep);
  if (fromBundle && !request.startsWith('.') && !path.isAbsolute(request) && !Module.isBuiltin(request)) {
    if (!request.startsWith('@aws-sdk/'))
      throw new Error(`the bundle requires '${request}', which the Lambda Node.js runtime does not provide`);
    return resolve.call(this, request, parent, false, { paths: [sdkRoot] });
  }
  return resolve.call(this, request, parent, ...rest);
};

const started = performance.now();
let handler;
try {
  handler = require(path.join(bundleDir, `${file}.js`))[exportName];
  if (typeof handler !== 'function') throw new Error(`${handlerName} is not a function`);
} catch (error) {
  report({ ok: false, error: String(error?.stack || error), importMs: performance.now() - started });
  process.exit(1);
}
const importMs = performance.now() - started;
if (mode === '--import-only') {
  report({ ok: true, importMs });
} else {
  let input = '';
  process.stdin.on('data', (chunk) => (input += chunk));
  process.stdin.on('end', () => {
    const deadline = Date.now() + Number(timeoutSeconds) * 1000;
    const context = {
      awsRequestId: `local-${Date.now()}`,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      callbackWaitsForEmptyEventLoop: false,
    };
    Promise.resolve()
      .then(() => handler(JSON.parse(input), context))
      .then(
        (result) => report({ ok: true, result: result ?? null, importMs }),
        (error) => report({ ok: false, error: String(error?.stack || error), importMs }),
      )
      .finally(() => process.exit(0));
  });
}
