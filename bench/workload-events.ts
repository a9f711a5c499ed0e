/**
 * The bench's events: what a mobile SDK sends, varied the way a real fleet's events are (UUID ids,
 * several screens, products and experiments, an SDK context with library, OS and device), so that any
 * compression or dictionary figure measured on them is true. A repeated padding would compress to
 * nothing in DynamoDB and be stored once by Parquet's dictionary. Deterministic: the same seed
 * gives the same events, so runs compare.
 */

const SCREENS = ['home', 'search', 'product_detail', 'cart', 'checkout', 'settings', 'profile', 'order_history', 'onboarding', 'feed'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY', 'SEK'];
const MODELS = [
  { model: 'iPhone15,2', os: 'iOS', versions: ['17.4.1', '17.5', '16.7.8'] },
  { model: 'iPhone14,5', os: 'iOS', versions: ['17.4.1', '16.6'] },
  { model: 'SM-S918B', os: 'Android', versions: ['14', '13'] },
  { model: 'Pixel 8', os: 'Android', versions: ['14'] },
];
const LOCALES = ['en-US', 'de-DE', 'fr-FR', 'ja-JP', 'pt-BR'];
const WORDS = [
  'blue',
  'running',
  'shoes',
  'wireless',
  'headphones',
  'organic',
  'coffee',
  'beans',
  'linen',
  'shirt',
  'desk',
  'lamp',
  'travel',
  'mug',
];

export function uuidOf(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

const pick = <T>(random: () => number, from: readonly T[]): T => from[Math.floor(random() * from.length)]!;

/** A device's stable traits: the SDK context every event of that device carries. */
export function deviceContext(random: () => number): Record<string, unknown> {
  const device = pick(random, MODELS);
  const locale = pick(random, LOCALES);
  return {
    library: { name: device.os === 'iOS' ? 'tidemark-ios' : 'tidemark-android', version: pick(random, ['1.4.2', '1.5.0']) },
    os: { name: device.os, version: pick(random, device.versions) },
    device: { model: device.model },
    locale,
  };
}

/**
 * One event of `eventBytes` bytes as JSON (when the fixed fields leave room): a purchase every
 * third event, screen views otherwise; a search query of varied words fills it to size.
 */
export function workloadEvent(
  random: () => number,
  fields: { eventId: string; deviceId: string; timestamp: string; purchase: boolean; context: Record<string, unknown> },
  eventBytes: number,
): Record<string, unknown> {
  const screen = pick(random, SCREENS);
  const properties: Record<string, unknown> = fields.purchase
    ? {
        screen,
        sku: `SKU-${Math.floor(random() * 90_000) + 10_000}`,
        price: Math.round(random() * 20_000) / 100,
        currency: pick(random, CURRENCIES),
      }
    : { screen, previousScreen: pick(random, SCREENS), durationMs: Math.floor(random() * 60_000) };
  const event: Record<string, unknown> = {
    event: fields.purchase ? 'purchase' : 'screen_view',
    eventId: fields.eventId,
    deviceId: fields.deviceId,
    source: String((fields.context.os as { name: string }).name).toLowerCase(),
    ...(fields.purchase ? { value: properties.price } : {}),
    timestamp: fields.timestamp,
    properties,
    context: fields.context,
  };
  let query = '';
  const room = eventBytes - Buffer.byteLength(JSON.stringify({ ...event, properties: { ...properties, query: '' } }));
  while (query.length < room) query += `${query ? ' ' : ''}${pick(random, WORDS)}${Math.floor(random() * 100)}`;
  if (room > 0) properties.query = query.slice(0, room);
  return event;
}
