// The same app as track.cjs, through import.
import { readFileSync } from 'node:fs';
import { Tidemark, fileStorage, TidemarkErrorKind } from '@tidemark/sdk';

const calls = JSON.parse(readFileSync(process.env.CALLS_FILE, 'utf8'));
const errors = [];
const client = new Tidemark({
  endpoint: process.env.ENDPOINT,
  writeKey: process.env.WRITE_KEY,
  storage: fileStorage(process.env.QUEUE_DIR),
  deviceId: process.env.DEVICE_ID,
  source: process.env.SOURCE,
  onError: (error) => errors.push(error.kind),
});
const ids = [];
for (const call of calls) ids.push(await client.track(call.event, call.properties, call.options));
await client.flush();
const queued = client.queued;
await client.shutdown();
process.stdout.write(JSON.stringify({ ids, queued, errors, kinds: Object.keys(TidemarkErrorKind) }));
