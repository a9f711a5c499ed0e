/** The local API Gateway's proxy event: any query or header name a client sends is data, never an Object member. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { matchRoute, toProxyEvent } from '../../local/http-server.js';

const aggregates = matchRoute('GET', '/v1/aggregates')!;
const request = (url: string, rawHeaders: string[] = []) =>
  ({ url, method: 'GET', rawHeaders, headers: {}, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;

describe('toProxyEvent', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('keeps a query parameter named %s as sent', (name) => {
    const event = toProxyEvent(request(`/v1/aggregates?${name}=a&${name}=b`), Buffer.alloc(0), aggregates);
    expect(Object.keys(event.queryStringParameters ?? {})).toEqual([name]);
    expect(event.queryStringParameters?.[name]).toBe('b');
    expect(event.multiValueQueryStringParameters?.[name]).toEqual(['a', 'b']);
  });

  it.each(['constructor', '__proto__'])('keeps a header named %s as sent', (name) => {
    const event = toProxyEvent(request('/v1/aggregates', [name, 'x', 'Accept', '*/*']), Buffer.alloc(0), aggregates);
    expect(Object.keys(event.headers)).toEqual([name, 'Accept']);
    expect(event.multiValueHeaders[name]).toEqual(['x']);
  });
});
