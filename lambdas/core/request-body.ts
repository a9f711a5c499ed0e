/**
 * Decodes an ingest request body (base64, gzip with a capped output, JSON) and finds its rows in
 * whichever envelope the client used: native `{events}`, Segment/RudderStack `{batch}`, or a bare array.
 *
 * The content type does not decide whether a body is read: a body that parses as JSON is accepted
 * whatever it is labelled, as RudderStack's own server does (its Node SDK sends gzipped JSON as
 * `application/x-www-form-urlencoded`). The label only picks the answer for a body that is not JSON:
 * 415 when the client declared some other format, 400 when it claimed JSON (or said nothing).
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';
import { isObject } from './json-object.js';
import { parseDateTimeText, parseTimestamp } from './timestamps.js';
import type { IngestMode, JsonObject } from './types.js';

export type RawBody = {
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
  readonly contentEncoding?: string;
};

export type BodyLimits = { readonly maxRequestBytes: number; readonly maxEventsPerRequest: number };

export type IngestBody = {
  readonly rows: unknown[];
  readonly sentAt?: number;
  /** `/v1/import` only: when the rows were first received (a replay of kept rejections), epoch ms. */
  readonly receivedAt?: number;
};

const JSON_TYPES = /^(application\/(json|[\w.+-]+\+json|x-ndjson-batch)|text\/plain)$/;

export function decodeBody(raw: RawBody, limits: BodyLimits): Buffer {
  const bytes = Buffer.from(raw.body ?? '', raw.isBase64Encoded ? 'base64' : 'utf8');
  const encoding = raw.contentEncoding?.trim().toLowerCase() || 'identity';
  const tooLarge = () =>
    new PayloadTooLargeError(
      `Request body exceeds ${limits.maxRequestBytes} bytes after decompression (maxRequestBytes).`,
      'maxRequestBytes',
      limits.maxRequestBytes,
    );
  if (encoding === 'identity') {
    if (bytes.length > limits.maxRequestBytes) throw tooLarge();
    return bytes;
  }
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw new UnsupportedMediaTypeError(`Content-Encoding '${encoding}' is not supported; send gzip or none.`);
  }
  try {
    // The output cap stops decompression at the limit: a gzip bomb costs at most maxRequestBytes of memory.
    const options = { maxOutputLength: limits.maxRequestBytes };
    return encoding === 'gzip' ? gunzipSync(bytes, options) : inflateSync(bytes, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new BadRequestError(`Body is not valid ${encoding} data.`, 'invalid_encoding');
  }
}

export function parseIngestBody(bytes: Buffer, mode: IngestMode, limits: BodyLimits, contentType?: string): IngestBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType && !JSON_TYPES.test(mediaType)) {
      throw new UnsupportedMediaTypeError(`Content-Type '${mediaType}' is not supported and the body is not JSON; send JSON.`);
    }
    if (error instanceof RangeError) throw new BadRequestError('Body nests JSON too deeply to read.', 'invalid_json');
    throw new BadRequestError('Body is not valid JSON.', 'invalid_json');
  }
  const { rows, sentAt, receivedAt } = rowsOf(parsed, mode);
  if (rows.length === 0) throw new BadRequestError('Body holds no events.', 'no_events');
  if (rows.length > limits.maxEventsPerRequest) {
    throw new BadRequestError(
      `Body holds ${rows.length} events; the limit is ${limits.maxEventsPerRequest} per request (maxEventsPerRequest).`,
      'too_many_events',
    );
  }
  return {
    rows,
    ...(sentAt === undefined ? {} : { sentAt }),
    ...(receivedAt === undefined ? {} : { receivedAt }),
  };
}

function rowsOf(parsed: unknown, mode: IngestMode): { rows: unknown[]; sentAt?: number; receivedAt?: number } {
  if (Array.isArray(parsed)) return { rows: parsed };
  if (!isObject(parsed)) throw new BadRequestError('Body must be a JSON object or array.', 'no_events');
  const sentAt = parseTimestamp(parsed.sentAt ?? parsed.sent_at);
  const envelope = Array.isArray(parsed.events) ? parsed.events : Array.isArray(parsed.batch) ? parsed.batch : undefined;
  // Only the secret-key import may say when its rows were received. Elsewhere the field is ignored,
  // as every other unknown envelope field and a message's own `receivedAt` are (row-fields.ts): a
  // 400 would cost a device its whole batch, and an ignored field cannot set the server's receipt time.
  if (envelope) return { rows: envelope, sentAt, ...(mode === 'import' ? { receivedAt: declaredReceipt(parsed) } : {}) };
  // `/v1/track` takes one event as the whole body, as Segment's does.
  if (mode === 'track') return { rows: [parsed], sentAt };
  throw new BadRequestError('Body must hold an `events` or `batch` array, or be an array.', 'no_events');
}

/**
 * An import's `receivedAt` (or `received_at`): absent, or a date-time string `parseTimestamp` reads;
 * anything else is a 400. Epoch numbers (and numeric text) are refused although `sentAt` takes them:
 * `5` would be read as five seconds after 1970, a receipt no request ever had, and every row's skew
 * correction would be measured against it.
 */
function declaredReceipt(envelope: JsonObject): number | undefined {
  const declared = envelope.receivedAt ?? envelope.received_at;
  if (declared === undefined || declared === null) return undefined;
  const receivedAt = parseDateTimeText(declared);
  if (receivedAt === undefined) {
    throw new BadRequestError(
      `\`receivedAt\` must be an ISO 8601 time (when the rows were first received); got ${JSON.stringify(declared).slice(0, 64)}.`,
      'invalid_received_at',
    );
  }
  return receivedAt;
}

/**
 * The receive time an import's rows are read against: the one it declared, else the server's. A
 * declared time may lead the server's clock by at most the skew threshold (clocks of two servers
 * drift that little); later than that, it is no record of a past receipt, and it would let a
 * caller push every row's skew correction into the future.
 */
export function rowsReceivedAt(body: IngestBody, serverReceivedAt: number, skewThresholdMs: number): number {
  if (body.receivedAt === undefined) return serverReceivedAt;
  if (body.receivedAt > serverReceivedAt + skewThresholdMs) {
    throw new BadRequestError(
      `\`receivedAt\` ${new Date(body.receivedAt).toISOString()} is later than the server's clock (${new Date(serverReceivedAt).toISOString()}) by more than ${skewThresholdMs} ms (skewThresholdMs); send when the rows were first received.`,
      'invalid_received_at',
    );
  }
  return body.receivedAt;
}
