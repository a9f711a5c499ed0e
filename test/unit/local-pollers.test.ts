/** The local event sources' pure parts: which SQS messages an invocation settles, and which route a request reaches. */
import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../local/http-server.js';
import { settle } from '../../local/sqs-poller.js';
import { Routes } from '../../resources/index.js';
import { messageBody, normalizedEvent, sqsRecord } from '../helpers/factories.js';

const records = ['m1', 'm2', 'm3'].map((id) => sqsRecord(id, messageBody([normalizedEvent({ eventId: id })])));
const ids = (list: readonly { messageId: string }[]) => list.map((record) => record.messageId);

describe('settle', () => {
  it('deletes only the successes when the handler reports failures', () => {
    const { succeeded, failed } = settle(records, { batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect([ids(succeeded), ids(failed)]).toEqual([['m1', 'm3'], ['m2']]);
  });

  it('deletes nothing when the invocation threw', () => {
    const { succeeded, failed } = settle(records, new Error('crash'));
    expect([ids(succeeded), ids(failed)]).toEqual([[], ['m1', 'm2', 'm3']]);
  });

  it('deletes everything when the handler reports no failure', () => {
    expect(ids(settle(records, undefined).succeeded)).toEqual(['m1', 'm2', 'm3']);
    expect(ids(settle(records, { batchItemFailures: [] }).failed)).toEqual([]);
  });
});

describe('matchRoute', () => {
  it('reaches every route of resources/ with its own method and path', () => {
    for (const route of Routes) {
      const path = route.path.replace(/\{[^}]+\}/g, 'x%23y');
      expect(matchRoute(route.method, path)?.route).toBe(route);
    }
  });

  it('hands path parameters over as sent and refuses other methods, extra segments and unknown paths', () => {
    expect(matchRoute('GET', '/v1/devices/a%2Fb')?.pathParameters).toEqual({ deviceId: 'a%2Fb' });
    expect(matchRoute('DELETE', '/v1/batch')).toBeUndefined();
    expect(matchRoute('GET', '/v1/devices/a/b')).toBeUndefined();
    expect(matchRoute('GET', '/v1/nothing')).toBeUndefined();
  });
});
