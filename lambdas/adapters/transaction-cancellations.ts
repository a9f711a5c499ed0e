/**
 * Cancellation reasons of TransactWriteItems that another attempt may get past: DynamoDB cancels a
 * transaction when "there is an ongoing TransactWriteItems operation that conflicts with a concurrent
 * TransactWriteItems request" or capacity is short, and names the reason per item in
 * `CancellationReasons` (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
 * The SDK does not retry a cancelled transaction, so callers that can safely retry do it themselves.
 */
export const TRANSIENT_CANCELLATIONS: ReadonlySet<string> = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);
