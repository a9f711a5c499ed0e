/**
 * What the API functions share of Tidemark's own: header access, JSON responses, the wire-size
 * limit and key authentication. The edge itself (errors, CORS) is in `middleware.ts`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { PayloadTooLargeError, UnauthorizedError, ForbiddenError } from '../core/errors.js';
import { acceptedKinds, keyFromHeaders, type Access, type ProjectKey } from '../core/keys.js';
import type { KeyStore } from '../adapters/key-store.js';
import { Limits } from '../../resources/index.js';

export type Headers = Record<string, string | undefined>;

/** Header names lower-cased; of a doubled header the first value is used. */
export function headersOf(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>): Headers {
  const headers: Headers = {};
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values && values.length > 0) headers[name.toLowerCase()] = values[0];
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const lower = name.toLowerCase();
    if (headers[lower] === undefined) headers[lower] = value;
  }
  return headers;
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** Bytes of the body as the client sent it, before base64. */
export function wireBytesOf(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): number {
  if (!event.body) return 0;
  if (!event.isBase64Encoded) return Buffer.byteLength(event.body);
  const padding = event.body.endsWith('==') ? 2 : event.body.endsWith('=') ? 1 : 0;
  return (event.body.length / 4) * 3 - padding;
}

/**
 * The wire limit, checked before anything is decoded: the same 413 for every body over
 * `maxWireBytes`, whether the function sees it (here) or the local server turns it away.
 */
export function assertWireSize(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): void {
  const bytes = wireBytesOf(event);
  if (bytes > Limits.maxWireBytes) throw wireLimitError(bytes);
}

function wireLimitError(bytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `Request body is ${bytes} bytes; at most ${Limits.maxWireBytes} bytes are accepted as sent (maxWireBytes: Lambda takes 6 MB per invocation and bodies travel base64-encoded). Send gzip (up to ${Limits.maxRequestBytes} bytes decompressed) or split the batch.`,
    'maxWireBytes',
    Limits.maxWireBytes,
  );
}

export async function authenticate(headers: Headers, access: Access, keys: KeyStore): Promise<ProjectKey> {
  const key = keyFromHeaders(headers);
  if (!key)
    throw new UnauthorizedError(
      'No key: send Authorization: Basic base64(key:), Authorization: Bearer key, x-api-key or openpanel-client-id.',
    );
  const project = await keys.find(key);
  if (!project) throw new UnauthorizedError();
  if (!(acceptedKinds[access] as readonly string[]).includes(project.kind)) {
    throw new ForbiddenError(
      access === 'write' ? 'This endpoint takes the project write key.' : 'This endpoint takes the project secret key.',
    );
  }
  return project;
}
