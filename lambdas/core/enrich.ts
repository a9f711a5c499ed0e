/**
 * Enrichment added by the processor: the session, processing time, and what the user agent says
 * about the device. ua-parser-js 1.x is used because 2.x is AGPL, which a self-hosted product cannot ship.
 */
import UAParser from 'ua-parser-js';
import type { JsonObject, NormalizedEvent, StoredEvent } from './types.js';

export type DeviceInfo = { os?: string; osVersion?: string; browser?: string; browserVersion?: string; deviceType: string };

export function parseUserAgent(userAgent: string): DeviceInfo {
  const result = new UAParser(userAgent).getResult();
  const info: DeviceInfo = { deviceType: result.device.type ?? (result.os.name ? 'desktop' : 'unknown') };
  if (result.os.name) info.os = result.os.name;
  if (result.os.version) info.osVersion = result.os.version;
  if (result.browser.name) info.browser = result.browser.name;
  if (result.browser.version) info.browserVersion = result.browser.version;
  return info;
}

/** Adds the session, `__syncedAt` and the parsed user agent; drops any IP that slipped into the context. */
export function enrichEvent(event: NormalizedEvent, projectId: string, sessionId: string, syncedAt: string): StoredEvent {
  const stored: StoredEvent = {
    ...event,
    projectId,
    sessionId,
    properties: { ...event.properties, __syncedAt: syncedAt },
  };
  if (event.context) {
    const { ip: _ip, ...context } = event.context;
    const userAgent = context.userAgent;
    if (typeof userAgent === 'string' && userAgent.length > 0) {
      context.userAgentInfo = parseUserAgent(userAgent) as JsonObject;
    }
    stored.context = context;
  }
  return stored;
}
