/**
 * What the ingest API answers (202), as the SDK reads it. The SDK is published on its own, so it
 * keeps this copy of the server's definition (resources/api-answers.ts in the Tidemark repository);
 * a type test there fails when the two drift apart.
 */

/** One row a request sent that was not accepted; `index` counts the request's rows from 0. */
export type Rejection = { readonly index: number; readonly reason: string; readonly error: string; readonly retryable: boolean };

export type IngestAnswer = { readonly accepted: number; readonly rejected: readonly Rejection[] };
