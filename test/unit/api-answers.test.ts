/**
 * The SDK's copy of the ingest answer (sdk/src/answers.ts, published with it) is the server's
 * definition (resources/api-answers.ts). Checked by the type checker (`npx tsc --noEmit`, which
 * includes test/): a field added, removed or retyped on one side only fails compilation here.
 */
import { expectTypeOf, it } from 'vitest';
import type { IngestAnswer as SdkIngestAnswer, Rejection as SdkRejection } from '../../sdk/src/index.js';
import type { IngestAnswer, Rejection } from '../../resources/api-answers.js';

it("the SDK's copy of the ingest answer is the server's, field for field", () => {
  expectTypeOf<SdkRejection>().toEqualTypeOf<Rejection>();
  expectTypeOf<SdkIngestAnswer>().toEqualTypeOf<IngestAnswer>();
});
