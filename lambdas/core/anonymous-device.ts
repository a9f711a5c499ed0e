/**
 * A device for a visitor whose SDK sends none (OpenPanel's web SDK sends no device id; its server
 * derives one from the IP address and user agent). Tidemark does the same without keeping an IP:
 * the id is an HMAC of project, IP and user agent under a random salt of the day. The salt is
 * secret and expires, so once it is gone no id can be traced back to an address, and the same
 * visitor is a new device the next (UTC) day, as in OpenPanel. DynamoDB deletes an expired item
 * "typically within two days of expiration" (UpdateTimeToLive, DynamoDB API Reference,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html), so a
 * salt is gone about four days after its day at most.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** The UTC day a salt serves, `YYYY-MM-DD`. */
export const saltDay = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);

export const newSalt = (): string => randomBytes(32).toString('base64url');

export function anonymousDeviceId(salt: string, projectId: string, ip: string, userAgent: string): string {
  // JSON keeps the parts apart: no choice of IP and user agent can be read as another pair.
  return `anon-${createHmac('sha256', salt)
    .update(JSON.stringify([projectId, ip, userAgent]))
    .digest('hex')
    .slice(0, 32)}`;
}
