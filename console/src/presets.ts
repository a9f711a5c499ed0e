/**
 * Batches shaped like what real fleets send: Tidemark's and Segment's SDKs, a RudderStack batch,
 * OpenPanel's SDKs, IoT gateways nesting a `payload`, a legacy snake_case tracker, and a batch with
 * bad rows. Each is built fresh (new ids and times) when picked; sending the same text twice shows
 * deduplication.
 */
export type Preset = {
  id: string;
  label: string;
  /** The route the batch goes to; `/v1/batch` unless the preset speaks another protocol. */
  path?: '/track/batch';
  build: (now: number) => unknown;
};

const iso = (ms: number) => new Date(ms).toISOString();
const uuid = () => crypto.randomUUID();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const Presets: readonly Preset[] = [
  {
    id: 'tidemark',
    label: 'Tidemark SDK batch (5 events)',
    build: (now) => ({
      sentAt: iso(now),
      events: ['app_open', 'view_item', 'add_to_cart', 'purchase', 'app_close'].map((event, i) => ({
        event,
        deviceId: 'phone-ada',
        userId: 'ada',
        eventId: uuid(),
        timestamp: iso(now - (5 - i) * MINUTE),
        ...(event === 'purchase' ? { value: 42.5 } : {}),
        properties: { screen: event === 'app_open' ? 'home' : 'shop', sku: event === 'view_item' ? 'tea-01' : undefined },
        context: { library: { name: '@tidemark/sdk', version: '0.1.0' }, os: { name: 'iOS', version: '18.1' } },
      })),
    }),
  },
  {
    id: 'segment',
    label: 'Segment / RudderStack batch (track, screen, identify)',
    build: (now) => ({
      sentAt: iso(now),
      batch: [
        {
          type: 'track',
          event: 'Order Completed',
          anonymousId: 'anon-grace',
          messageId: uuid(),
          timestamp: iso(now - 3 * MINUTE),
          properties: { revenue: 19.99, currency: 'EUR' },
          context: { library: { name: 'analytics-ios', version: '4.1.0' } },
        },
        {
          type: 'screen',
          name: 'Checkout',
          anonymousId: 'anon-grace',
          messageId: uuid(),
          timestamp: iso(now - 2 * MINUTE),
          properties: {},
        },
        {
          type: 'identify',
          userId: 'grace',
          anonymousId: 'anon-grace',
          messageId: uuid(),
          timestamp: iso(now - MINUTE),
          traits: { plan: 'pro' },
        },
      ],
    }),
  },
  {
    id: 'openpanel',
    label: 'OpenPanel SDK (POST /track/batch: offline events hours back, identify, increment, alias)',
    path: '/track/batch',
    build: (now) => ({
      events: [
        {
          type: 'identify',
          payload: {
            profileId: 'marie',
            firstName: 'Marie',
            email: 'marie@example.com',
            properties: { __deviceId: 'tablet-marie', plan: 'team' },
          },
        },
        ...[3, 2, 1].map((hours) => ({
          type: 'track',
          payload: {
            name: 'screen_view',
            profileId: 'marie',
            properties: { __deviceId: 'tablet-marie', __timestamp: iso(now - hours * HOUR), __path: `/lesson/${4 - hours}` },
          },
        })),
        {
          type: 'track',
          payload: {
            name: 'purchase',
            profileId: 'marie',
            properties: { __deviceId: 'tablet-marie', __timestamp: iso(now - 30 * MINUTE), value: 12, sku: 'course-3' },
          },
        },
        { type: 'increment', payload: { profileId: 'marie', property: 'lessons_done', value: 3 } },
        { type: 'alias', payload: { profileId: 'marie', alias: 'm.curie' } },
      ],
    }),
  },
  {
    id: 'iot',
    label: 'IoT gateway (nested payload, epoch seconds)',
    build: (now) =>
      ['thermo-1', 'thermo-2', 'thermo-3'].map((deviceId, i) => ({
        source: 'gateway-7',
        payload: { metric: 'temperature', deviceId, value: 20 + i * 0.5, ts: Math.floor((now - i * MINUTE) / 1000), unit: 'C' },
      })),
  },
  {
    id: 'legacy',
    label: 'Legacy tracker (snake_case, numeric strings, local time)',
    build: (now) => ({
      events: [
        {
          event_type: 'click',
          device_id: 'kiosk-12',
          client_id: 'web',
          amount: '12.50',
          created_at: iso(now - 4 * MINUTE)
            .replace('T', ' ')
            .slice(0, 19),
          event_properties: { button: 'buy' },
        },
        {
          event_type: 'click',
          device_id: 'kiosk-12',
          client_id: 'web',
          amount: '3',
          created_at: iso(now - 3 * MINUTE)
            .replace('T', ' ')
            .slice(0, 19),
          event_properties: { button: 'info' },
        },
      ],
    }),
  },
  {
    id: 'mixed',
    label: 'Mixed batch with bad rows',
    build: (now) => ({
      events: [
        {
          event: 'purchase',
          deviceId: 'phone-linus',
          eventId: uuid(),
          timestamp: iso(now - MINUTE),
          value: 9.99,
          properties: { sku: 'mug-02' },
        },
        { deviceId: 'phone-linus', timestamp: iso(now), properties: { note: 'no event name' } },
        { event: 'app_open', deviceId: 'phone-linus', timestamp: '2020-01-01T00:00:00.000Z' },
        { event: 'app_open', deviceId: 'phone-linus', eventId: uuid(), timestamp: iso(now - 2 * MINUTE) },
        'not an object',
      ],
    }),
  },
];

export const presetBody = (preset: Preset, now = Date.now()): string => JSON.stringify(preset.build(now), null, 2);
