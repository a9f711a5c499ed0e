import { describe, expect, it } from 'vitest';
import {
  eventItemContent,
  eventOfItem,
  fingerprintsAgree,
  sameFingerprint,
  storedFingerprintOf,
} from '../../lambdas/core/stored-event-item.js';
import type { StoredEvent } from '../../lambdas/core/types.js';

const FINGERPRINT = '0123456789abcdef0123456789abcdef01234567';

const event = (overrides: Partial<StoredEvent> = {}): StoredEvent => ({
  projectId: 'demo',
  eventId: 'e1',
  event: 'purchase',
  deviceId: 'd1',
  sessionId: 's1',
  value: 9.99,
  timestamp: '2024-01-15T10:00:00.000Z',
  originalTimestamp: '2024-01-15T10:00:00.000Z',
  receivedAt: '2024-01-15T10:00:01.000Z',
  properties: { sku: 'SKU-1', query: 'blue running shoes', __syncedAt: '2024-01-15T10:00:01.000Z' },
  context: { library: { name: 'tidemark-ios', version: '1.5.0' }, os: { name: 'iOS', version: '17.4.1' }, locale: 'en-US' },
  fingerprint: FINGERPRINT,
  ...overrides,
});

describe('a stored event item', () => {
  it('reads back as the event it stores, less its fingerprint', () => {
    const { fingerprint: _fingerprint, ...publicFields } = event();
    expect(eventOfItem(eventItemContent(event()))).toEqual(publicFields);
  });

  it('leaves out an original time equal to the corrected one and keeps one that differs', () => {
    expect(eventItemContent(event())).not.toHaveProperty('originalTimestamp');
    const skewed = event({ originalTimestamp: '2024-01-15T09:58:00.000Z' });
    expect(eventItemContent(skewed).originalTimestamp).toBe('2024-01-15T09:58:00.000Z');
    expect(eventOfItem(eventItemContent(skewed)).originalTimestamp).toBe('2024-01-15T09:58:00.000Z');
  });

  it('keeps 128 bits of the fingerprint as 16 bytes, with no hex copy', () => {
    const content = eventItemContent(event());
    expect(content.fp).toEqual(Uint8Array.from(Buffer.from(FINGERPRINT.slice(0, 32), 'hex')));
    expect(content).not.toHaveProperty('fingerprint');
  });

  it('tells the same content from a different one, for new items and for items written with the hex fingerprint', () => {
    const stored = eventItemContent(event());
    expect(sameFingerprint({ fp: stored.fp! }, FINGERPRINT)).toBe(true);
    expect(sameFingerprint({ fp: stored.fp! }, `f${FINGERPRINT.slice(1)}`)).toBe(false);
    expect(sameFingerprint({ fingerprint: FINGERPRINT }, FINGERPRINT)).toBe(true);
    expect(sameFingerprint({ fingerprint: FINGERPRINT }, `${FINGERPRINT.slice(0, 31)}0${FINGERPRINT.slice(32)}`)).toBe(false);
    expect(sameFingerprint({}, FINGERPRINT)).toBeUndefined();
  });

  it('agrees on a stored copy read back as the item holds it, and lets the id decide when either side has none', () => {
    const content = eventItemContent(event());
    const changed = `f${FINGERPRINT.slice(1)}`;
    expect(fingerprintsAgree(storedFingerprintOf(content), FINGERPRINT)).toBe(true);
    expect(fingerprintsAgree(storedFingerprintOf(content), changed)).toBe(false);
    expect(fingerprintsAgree(storedFingerprintOf({ fingerprint: FINGERPRINT }), changed)).toBe(false);
    expect(fingerprintsAgree(storedFingerprintOf({ fp: 'not bytes', fingerprint: 42 }), changed)).toBe(true);
    expect(fingerprintsAgree(storedFingerprintOf(content), undefined)).toBe(true);
  });

  it('reads items written before: properties and context as JSON text, the hex fingerprint left out', () => {
    const before = {
      ...event(),
      pk: 'demo#e1',
      listPk: 'demo#2024-01-15#3',
      listSk: '2024-01-15T10:00:00.000Z#e1',
      ts: Date.parse('2024-01-15T10:00:00.000Z'),
      expiresAt: 1,
      properties: JSON.stringify(event().properties),
      context: JSON.stringify(event().context),
    };
    const { fingerprint: _fingerprint, ...publicFields } = event();
    expect(eventOfItem(before)).toEqual(publicFields);
  });

  it('stores a typical SDK event in fewer bytes than its JSON text', () => {
    const content = eventItemContent(event());
    const textBytes = Buffer.byteLength(JSON.stringify(event().properties)) + Buffer.byteLength(JSON.stringify(event().context));
    const storedBytes = [content.properties, content.context!].reduce(
      (sum, stored) => sum + (typeof stored === 'string' ? Buffer.byteLength(stored) : stored.length),
      0,
    );
    expect(storedBytes).toBeLessThan(textBytes);
  });
});
