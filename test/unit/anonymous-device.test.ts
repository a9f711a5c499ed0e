/** Anonymous device ids for visitors whose SDK sends none: stable within a salt, and no IP in them. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anonymousDeviceId, newSalt, saltDay } from '../../lambdas/core/anonymous-device.js';

describe('anonymousDeviceId', () => {
  const visitor = fc.tuple(fc.string({ unit: 'binary' }), fc.oneof(fc.ipV4(), fc.ipV6()), fc.string({ unit: 'binary' }));

  it('is the same for the same salt, project, address and user agent, and differs when any one changes', () => {
    fc.assert(
      fc.property(visitor, visitor, (a, b) => {
        const salt = 'salt-of-the-day';
        expect(anonymousDeviceId(salt, ...a)).toBe(anonymousDeviceId(salt, ...a));
        if (a.some((part, i) => part !== b[i])) expect(anonymousDeviceId(salt, ...a)).not.toBe(anonymousDeviceId(salt, ...b));
        expect(anonymousDeviceId('another-salt', ...a)).not.toBe(anonymousDeviceId(salt, ...a));
      }),
    );
  });

  it('never contains the address it came from', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const id = anonymousDeviceId(newSalt(), 'shop', ip, 'Mozilla/5.0');
        expect(id).toMatch(/^anon-[0-9a-f]{32}$/);
        expect(id).not.toContain(ip);
      }),
    );
  });

  it('keeps parts apart: moving text between project, address and user agent changes the id', () => {
    expect(anonymousDeviceId('s', 'ab', 'c', 'd')).not.toBe(anonymousDeviceId('s', 'a', 'bc', 'd'));
    expect(anonymousDeviceId('s', 'a', 'b', 'cd')).not.toBe(anonymousDeviceId('s', 'a', 'bc', 'd'));
  });

  it('draws a new salt each time, and names salts by UTC day', () => {
    expect(newSalt()).not.toBe(newSalt());
    expect(saltDay(Date.parse('2026-11-24T23:59:59.999Z'))).toBe('2026-11-24');
    expect(saltDay(Date.parse('2026-11-25T00:00:00.000Z'))).toBe('2026-11-25');
  });
});
