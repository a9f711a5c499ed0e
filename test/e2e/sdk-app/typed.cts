// The CommonJS side of typed.mts.
import sdk = require('@tidemark/sdk');

const client = new sdk.Tidemark({ endpoint: 'http://127.0.0.1:3000', writeKey: 'k', storage: sdk.memoryStorage(), maxAttempts: 3 });
// @ts-expect-error value is a number
void client.track('purchase', {}, { value: '12' });
export = client;
