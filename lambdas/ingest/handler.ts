/**
 * POST /v1/batch, /v1/track, /v1/import, and OpenPanel's /track and /track/batch: authenticate,
 * decode, count against the project's quotas, then `ingestRows`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { Limits, ProjectCapDefaults, ProjectQuotaDefaults, Retention, type IngestAnswer } from '../../resources/index.js';
import { configFromEnv, required, type TidemarkConfig } from '../config.js';
import { createClients, type AwsClients } from '../adapters/clients.js';
import { SqsEventQueue } from '../adapters/event-queue.js';
import { DynamoKeyStore, type KeyStore } from '../adapters/key-store.js';
import { DynamoProjectQuota, DynamoQuotaSettings } from '../adapters/project-quota.js';
import { DynamoDaySalts } from '../adapters/day-salts.js';
import { DynamoNameRegistry } from '../adapters/name-registry.js';
import { DynamoRejectionBudget } from '../adapters/rejection-budget.js';
import { DynamoRejectionStore } from '../adapters/rejection-store.js';
import { BadRequestError, NotFoundError } from '../core/errors.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../core/event-id.js';
import { decodeBody, parseIngestBody, rowsReceivedAt } from '../core/request-body.js';
import { anonymousDeviceId, newSalt, saltDay } from '../core/anonymous-device.js';
import { openPanelTranslator } from '../core/openpanel.js';
import type { ProjectLimits, ProjectQuota } from '../core/quota.js';
import type { IngestMode, Rejection } from '../core/types.js';
import { assertWireSize, authenticate, headersOf, json, type Headers } from '../http/api.js';
import { apiRequestId, httpFunction } from '../http/middleware.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from '../observability.js';
import { ingestRows } from './ingest.js';
import type { IngestDependencies } from './ports.js';
import { S3Client } from '@aws-sdk/client-s3';
import { S3LakeObjects } from '../adapters/s3-lake-objects.js';
import type { RejectedRowRecord } from '../core/lake-rows.js';
import { keepRejectedRows } from '../lake/rejections.js';
import type { LakeObjects } from '../lake/ports.js';

export type IngestHandlerDependencies = IngestDependencies & {
  readonly keys: KeyStore;
  /** The project's quotas and caps as an operator set them, over the defaults: read once per request. */
  readonly limitsOf: (projectId: string) => Promise<ProjectLimits>;
  /** Counts a request of `rows` rows and `bytes` bytes against the project's `quota`; throws `QuotaExceededError` when over. */
  readonly admit: (projectId: string, quota: ProjectQuota, rows: number, bytes: number) => Promise<void>;
  /** The secret salt of anonymous device ids for the UTC day of `epochMs` (OpenPanel visitors). */
  readonly deviceSalt: (epochMs: number) => Promise<string>;
  /** Origins allowed to call the public write routes from a browser. */
  readonly corsAllowOrigins: readonly string[];
};

/**
 * OpenPanel's routes read its `openpanel-*` headers, which API Gateway's Lambda proxy integration
 * passes through with the rest of the request headers
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
 */
type IngestRoute = { readonly mode: IngestMode; readonly protocol: 'tidemark' | 'openpanel' };
const ingestRoutes: Record<string, IngestRoute> = {
  '/v1/batch': { mode: 'batch', protocol: 'tidemark' },
  '/v1/track': { mode: 'track', protocol: 'tidemark' },
  '/v1/import': { mode: 'import', protocol: 'tidemark' },
  '/track': { mode: 'track', protocol: 'openpanel' },
  '/track/batch': { mode: 'batch', protocol: 'openpanel' },
};

export function createIngestHandler(dependencies: () => IngestHandlerDependencies) {
  return httpFunction((event) => ingest(event, dependencies()), { corsAllowOrigins: () => dependencies().corsAllowOrigins });
}

async function ingest(event: APIGatewayProxyEvent, deps: IngestHandlerDependencies): Promise<APIGatewayProxyResult> {
  const receivedAt = Date.now();
  const headers = headersOf(event);
  const route = ingestRoutes[event.resource ?? event.path];
  if (!route) throw new NotFoundError(`No ingest route ${event.path}.`);
  const { mode, protocol } = route;
  assertWireSize(event);
  const project = await authenticate(headers, mode === 'import' ? 'import' : 'write', deps.keys);
  logger.appendKeys({ projectId: project.projectId });

  const limits = { maxRequestBytes: Limits.maxRequestBytes, maxEventsPerRequest: Limits.maxEventsPerRequest };
  const bytes = decodeBody(
    {
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
      ...(headers['content-encoding'] ? { contentEncoding: headers['content-encoding'] } : {}),
    },
    limits,
  );
  const body = parseIngestBody(bytes, mode, limits, headers['content-type']);
  const rowsReceived = rowsReceivedAt(body, receivedAt, Limits.skewThresholdMs);
  const projectLimits = await deps.limitsOf(project.projectId);
  await deps.admit(project.projectId, projectLimits, body.rows.length, bytes.length);
  const idempotencyKey = headers['idempotency-key'];
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    throw new BadRequestError('`Idempotency-Key` must be 1 to 255 printable ASCII characters.', 'invalid_idempotency_key');
  }
  const result = await ingestRows(
    {
      projectId: project.projectId,
      caps: projectLimits,
      requestId: apiRequestId(event),
      mode,
      rows: body.rows,
      receivedAt,
      ...(rowsReceived === receivedAt ? {} : { rowsReceivedAt: rowsReceived }),
      validateOnly: event.queryStringParameters?.validate === 'true',
      ...(body.sentAt === undefined ? {} : { sentAt: body.sentAt }),
      ...(headers['user-agent'] ? { userAgent: headers['user-agent'] } : {}),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(protocol === 'openpanel'
        ? { translator: await openPanelTranslatorFor(event, headers, project.projectId, receivedAt, deps) }
        : {}),
    },
    deps,
  );
  logger.info('ingested', {
    mode,
    protocol,
    rows: body.rows.length,
    accepted: result.accepted,
    rejected: result.rejected.length,
    clamped: result.clamped,
  });
  publishIngestMetrics(result.accepted, result.rejected);
  if (result.clamped > 0) logger.warn('future timestamps clamped to receive time', { clamped: result.clamped });
  return json(202, { accepted: result.accepted, rejected: result.rejected } satisfies IngestAnswer);
}

/**
 * Reads OpenPanel rows, with anonymous devices derived from the visitor's address: the row's `__ip` or
 * the request's source IP (`requestContext.identity.sourceIp` of API Gateway's proxy event,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
 */
async function openPanelTranslatorFor(
  event: APIGatewayProxyEvent,
  headers: Headers,
  projectId: string,
  receivedAt: number,
  deps: IngestHandlerDependencies,
) {
  const userAgent = headers['user-agent'] ?? '';
  const requestIp = event.requestContext?.identity?.sourceIp || undefined;
  const salt = await deps.deviceSalt(receivedAt);
  return openPanelTranslator({
    sdkName: headers['openpanel-sdk-name'],
    anonymousDevice: (rowIp) => {
      const ip = rowIp ?? requestIp;
      return ip === undefined ? undefined : anonymousDeviceId(salt, projectId, ip, userAgent);
    },
  });
}

function publishIngestMetrics(accepted: number, rejected: readonly Rejection[]): void {
  metrics.addMetric('EventsAccepted', MetricUnit.Count, accepted);
  const byReason = new Map<string, number>();
  for (const rejection of rejected) byReason.set(rejection.reason, (byReason.get(rejection.reason) ?? 0) + 1);
  for (const [reason, count] of byReason) {
    const single = metrics.singleMetric();
    single.addDimension('Reason', reason);
    single.addMetric('EventsRejected', MetricUnit.Count, count);
  }
}

/** Every failed SendMessageBatch attempt, by cause: a log line and the SqsSendFailures metric (total, and per Cause). */
function reportSendFailure(cause: string, messages: number): void {
  logger.warn('SQS send failed', { cause, messages });
  metrics.addMetric('SqsSendFailures', MetricUnit.Count, messages);
  const byCause = metrics.singleMetric();
  byCause.addDimension('Cause', cause);
  byCause.addMetric('SqsSendFailures', MetricUnit.Count, messages);
}

export function ingestDependencies(config: TidemarkConfig, clients: AwsClients = createClients(config)): IngestHandlerDependencies {
  const { documents } = clients;
  const stateTable = required(config, 'stateTable');
  const rejections = new DynamoRejectionStore(documents, stateTable);
  const cacheMs = config.keyCacheSeconds * 1000;
  const settings = new DynamoQuotaSettings(
    documents,
    required(config, 'keysTable'),
    { ...ProjectQuotaDefaults, ...ProjectCapDefaults, requestsPerSecond: config.rateLimitPerSecond },
    cacheMs,
  );
  const names = new DynamoNameRegistry(documents, stateTable, cacheMs);
  const rejectionBudget = new DynamoRejectionBudget(documents, stateTable, Limits.rejectionRetentionDays, cacheMs);
  return {
    keys: new DynamoKeyStore(documents, required(config, 'keysTable'), cacheMs),
    queue: new SqsEventQueue(clients.sqs, required(config, 'eventsQueueUrl'), undefined, reportSendFailure),
    corsAllowOrigins: config.corsAllowOrigins,
    recordRejections: (projectId, rows) => rejections.putRejections(projectId, rows, Limits.rejectionRetentionDays),
    limitsOf: (projectId) => settings.quotaOf(projectId),
    admit: quotaAdmission(config, documents, stateTable),
    admitNames: (projectId, inUse, caps) => names.admit(projectId, inUse, caps),
    rejectionsToKeep: (projectId, receivedAtMs, rows, keptPerDay) => rejectionBudget.take(projectId, receivedAtMs, rows, keptPerDay),
    deviceSalt: cachedDaySalt(new DynamoDaySalts(documents, stateTable)),
    maxEventAgeDays: config.maxEventAgeDays,
    ...(config.lakeBucket ? { keepRejectedRows: lakeRejections(new S3LakeObjects(new S3Client({}), config.lakeBucket)) } : {}),
  };
}

/** Quotas from the project's settings, requests per second defaulting to the stack's setting; a setting of 0 turns quotas off (not the caps). */
function quotaAdmission(
  config: TidemarkConfig,
  documents: AwsClients['documents'],
  stateTable: string,
): IngestHandlerDependencies['admit'] {
  if (config.rateLimitPerSecond <= 0) return async () => {};
  const quota = new DynamoProjectQuota(documents, stateTable);
  return (projectId, limits, rows, bytes) => quota.admit(projectId, limits, rows, bytes);
}

/** A day's salt, read once per container and day: one UpdateItem a day, not one a request. */
function cachedDaySalt(salts: DynamoDaySalts): (epochMs: number) => Promise<string> {
  let current: { day: string; salt: Promise<string> } | undefined;
  return (epochMs) => {
    const day = saltDay(epochMs);
    if (current?.day !== day) {
      const expiresAt = Math.floor(Date.parse(day) / 1000) + Retention.daySaltSeconds;
      const salt = salts.daySalt(day, newSalt(), expiresAt);
      // A failed read is not kept: the next request tries again.
      salt.catch(() => {
        if (current?.salt === salt) current = undefined;
      });
      current = { day, salt };
    }
    return current.salt;
  };
}

/** The ingest port that keeps rejected rows whole in the lake. */
export const lakeRejections =
  (lake: LakeObjects) =>
  (projectId: string, rows: RejectedRowRecord[]): Promise<void> =>
    keepRejectedRows(lake, projectId, rows);

let cached: IngestHandlerDependencies | undefined;
export const handler = createIngestHandler(() => (cached ??= ingestDependencies(configFromEnv(process.env))));
