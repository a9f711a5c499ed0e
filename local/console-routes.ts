/**
 * What the local runtime serves besides the API: the built console at `/console/`, its config, and
 * `/local/stats` and `/local/faults`, which only a local pipeline has (on AWS, the CloudWatch
 * dashboard shows the first and there are no failure switches).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { keyFromHeaders } from '../lambdas/core/keys.js';
import type { FaultInjector } from './faults.js';
import type { Intercept } from './http-server.js';
import type { PipelineStats } from './pipeline-stats.js';
import type { FaultState, LocalStats } from '../resources/api-answers.js';
import type { LocalQueues } from './provision.js';

/** Where `npm run build:console` writes the console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../console/dist/', import.meta.url));

/** What the console reads at start: where the API is and, locally only, the demo project's keys. */
export type ConsoleConfig = {
  readonly apiUrl: string;
  readonly local: boolean;
  readonly writeKey?: string;
  readonly secretKey?: string;
};

const ContentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/** The console's failure switches: probabilities from 0 to 0.9 (at 1 nothing would ever get through). */
const FaultSwitches = z
  .object({
    processCrash: z.number().min(0).max(0.9),
    aggregateCrash: z.number().min(0).max(0.9),
    sqsSendFailure: z.number().min(0).max(0.9),
    dynamoThrottle: z.number().min(0).max(0.9),
    /** Share of stream batches delivered again with other boundaries (counting must not change). */
    streamRedelivery: z.number().min(0).max(1),
  })
  .partial()
  .strict();

export type ConsoleRouteDeps = {
  readonly config: ConsoleConfig;
  readonly stats: PipelineStats;
  /** The project a key belongs to: `/local/stats` answers for the project of the key it is asked with. */
  readonly projectOfKey: (key: string) => Promise<string | undefined>;
  readonly faults: FaultInjector;
  readonly sqs: SQSClient;
  readonly queues: LocalQueues;
  readonly distDir?: string;
};

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

export function consoleRoutes(deps: ConsoleRouteDeps): Intercept {
  const dist = deps.distDir ?? CONSOLE_DIST;
  return async ({ method, url, headers, body }) => {
    const path = url.pathname;
    // `/` is what the ready line names: a person opening it wants the console.
    if ((path === '/console' || path === '/') && method === 'GET') return { statusCode: 308, headers: { location: '/console/' }, body: '' };
    if (path === '/console/config.json') return json(200, deps.config);
    if (path.startsWith('/console/') && method === 'GET') return staticFile(dist, path.slice('/console/'.length) || 'index.html');
    if (path === '/local/stats' && method === 'GET') {
      const key = keyFromHeaders(headers as Record<string, string | undefined>);
      const projectId = key ? await deps.projectOfKey(key) : undefined;
      if (!projectId)
        return json(401, {
          error: 'unauthorized',
          message: "Ask with a project's key (as /v1/* is asked): the figures are that project's.",
        });
      return json(200, await localStats(deps, projectId));
    }
    if (path === '/local/faults' && method === 'GET') return json(200, faultState(deps.faults));
    if (path === '/local/faults' && method === 'PUT') {
      const raw = await body();
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw?.toString('utf8') ?? '');
      } catch {
        return json(400, { error: 'invalid_json', message: 'Body is not valid JSON.' });
      }
      const switches = FaultSwitches.safeParse(parsed);
      if (!switches.success) {
        const issue = switches.error.issues[0];
        return json(400, { error: 'invalid_parameter', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
      }
      deps.faults.configure(switches.data);
      return json(200, faultState(deps.faults));
    }
    return undefined;
  };
}

function faultState(faults: FaultInjector): FaultState {
  const { seed: _seed, ...plan } = faults.plan;
  return { plan, fired: faults.counts };
}

async function localStats(deps: ConsoleRouteDeps, projectId: string): Promise<LocalStats> {
  // The queues are the runtime's, shared by every project (on AWS too: one queue, groups per device).
  const depth = async (queueUrl: string) => {
    const { Attributes = {} } = await deps.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  };
  const [queue, deadLetters] = await Promise.all([depth(deps.queues.queueUrl), depth(deps.queues.dlqUrl)]);
  return {
    at: new Date().toISOString(),
    projectId,
    queue,
    deadLetters,
    ...deps.stats.snapshot(projectId),
    faults: faultState(deps.faults),
  };
}

function staticFile(dist: string, relative: string): APIGatewayProxyResult {
  const file = normalize(join(dist, decodeURIComponent(relative)));
  if (!file.startsWith(dist.endsWith(sep) ? dist : dist + sep)) return json(404, { error: 'not_found', message: 'No such file.' });
  if (!existsSync(join(dist, 'index.html'))) {
    return json(503, { error: 'console_not_built', message: 'The console is not built: run `npm run build:console` (npm start does it).' });
  }
  if (!existsSync(file) || !statSync(file).isFile())
    return json(404, { error: 'not_found', message: `No console file '${relative.slice(0, 128)}'.` });
  const hashed = relative.startsWith('assets/');
  return {
    statusCode: 200,
    headers: {
      'content-type': ContentTypes[extname(file)] ?? 'application/octet-stream',
      // Asset names carry a content hash; index.html must always be fetched fresh to pick up new ones.
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    },
    body: readFileSync(file).toString('base64'),
    isBase64Encoded: true,
  };
}
