/**
 * A read route refuses query parameters it does not take: a typo (`events=` for `event=`,
 * `device=` for `deviceId=`) would otherwise read as "no filter" and answer the wrong numbers
 * with a 200.
 */
import { BadRequestError } from './errors.js';

export function assertKnownParameters(params: Readonly<Record<string, string | undefined>>, known: readonly string[]): void {
  const unknown = Object.keys(params).filter((name) => !known.includes(name));
  if (unknown.length === 0) return;
  const names = unknown.map((name) => `\`${name.slice(0, 64)}\``).join(', ');
  const takes = known.length > 0 ? `it takes ${known.map((name) => `\`${name}\``).join(', ')}` : 'it takes none';
  throw new BadRequestError(`Unknown query parameter ${names}: ${takes} (names are case-sensitive).`, 'unknown_parameter');
}
