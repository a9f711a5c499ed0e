import { describe, expect, it } from 'vitest';
import { generateKey, hashKey, keyFromHeaders } from '../../lambdas/core/keys.js';

describe('keyFromHeaders', () => {
  it('reads the three key forms', () => {
    expect(keyFromHeaders({ authorization: `Basic ${Buffer.from('wk:').toString('base64')}` })).toBe('wk');
    expect(keyFromHeaders({ authorization: `Basic ${Buffer.from('wk').toString('base64')}` })).toBe('wk');
    expect(keyFromHeaders({ authorization: 'Bearer sk' })).toBe('sk');
    expect(keyFromHeaders({ authorization: 'bearer sk' })).toBe('sk');
    expect(keyFromHeaders({ 'x-api-key': ' xk ' })).toBe('xk');
  });

  it('reads an OpenPanel client id as the key and never the client secret', () => {
    expect(keyFromHeaders({ 'openpanel-client-id': ' wk ', 'openpanel-client-secret': 'sk' })).toBe('wk');
    expect(keyFromHeaders({ 'openpanel-client-secret': 'sk' })).toBeUndefined();
    // The Tidemark forms come first, so a proxy adding its own Authorization is what counts.
    expect(keyFromHeaders({ authorization: 'Bearer sk', 'openpanel-client-id': 'wk' })).toBe('sk');
  });

  it('finds nothing in empty or foreign credentials', () => {
    expect(keyFromHeaders({})).toBeUndefined();
    expect(keyFromHeaders({ authorization: 'Basic ' })).toBeUndefined();
    expect(keyFromHeaders({ authorization: `Basic ${Buffer.from(':pw').toString('base64')}` })).toBeUndefined();
    expect(keyFromHeaders({ authorization: 'Bearer' })).toBeUndefined();
  });
});

describe('keys', () => {
  it('hashes with SHA-256 and generates distinct prefixed keys', () => {
    expect(hashKey('demo-write-key')).toMatch(/^[0-9a-f]{64}$/);
    expect(generateKey('write')).toMatch(/^tmw_/);
    expect(generateKey('secret')).toMatch(/^tms_/);
    expect(generateKey('write')).not.toBe(generateKey('write'));
  });
});
