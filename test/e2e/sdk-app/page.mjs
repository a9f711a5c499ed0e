// A web page using the packed SDK, bundled by esbuild for the browser from the installed package.
// Configured by its URL (?endpoint=&writeKey=&deviceId=&storage=indexedDB|localStorage); the test drives it through window.app.
import { Tidemark, indexedDbStorage, localStorageStorage } from '@tidemark/sdk';

const params = new URLSearchParams(location.search);
const errors = [];
const client = new Tidemark({
  endpoint: params.get('endpoint'),
  writeKey: params.get('writeKey'),
  deviceId: params.get('deviceId'),
  storage:
    params.get('storage') === 'localStorage'
      ? localStorageStorage(window.localStorage, `tidemark-${params.get('deviceId')}`)
      : indexedDbStorage(`tidemark-${params.get('deviceId')}`),
  isOnline: () => navigator.onLine,
  minBackoffMs: 200,
  maxBackoffMs: 1000,
  onError: (error) => errors.push({ kind: error.kind, message: error.message }),
});
window.addEventListener('online', () => client.flush());

window.app = {
  errors,
  ready: () => client.ready().then(() => true),
  queued: () => client.queued,
  dropped: () => client.dropped,
  flush: () => client.flush(),
  /** Fires `count` tracks the way a page does, without awaiting each; resolves to their ids once all are stored. */
  trackMany: (event, count, properties = {}) =>
    Promise.all(Array.from({ length: count }, (_, n) => client.track(event, { ...properties, n }))),
};
