// Type-checked against the installed package's declarations (ESM side); the expected errors prove the types are not `any`.
import { Tidemark, memoryStorage, type TidemarkError } from '@tidemark/sdk';

const client: Tidemark = new Tidemark({ endpoint: 'http://127.0.0.1:3000', writeKey: 'k', storage: memoryStorage(), source: 'web' });
const kind: TidemarkError['kind'] = 'cors';
// @ts-expect-error an event name is a string
void client.track(42);
// @ts-expect-error not an error kind
const wrong: TidemarkError['kind'] = 'oops';
export { kind, wrong };
