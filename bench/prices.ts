/**
 * On-demand list prices, us-east-1, in US dollars, as published on the AWS pricing pages and
 * checked on the date below. Free tiers are ignored. Update the date with the numbers.
 */
export const PriceTable = {
  checkedOn: '2026-11-24',
  region: 'us-east-1',
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
  sqsFifoPerMillionRequests: 0.5,
  apiGatewayRestPerMillionRequests: 3.5,
  lambdaPerMillionRequests: 0.2,
  /** arm64 duration price per GB-second. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB Standard table class, per GB-month of table and index storage. */
  dynamodbStandardPerGbMonth: 0.25,
  /** Provisioned capacity, per unit-hour. */
  dynamodbPerWcuHour: 0.00065,
  dynamodbPerRcuHour: 0.00013,
  s3StandardPerGbMonth: 0.023,
  s3StandardIaPerGbMonth: 0.0125,
  s3GlacierInstantPerGbMonth: 0.004,
  s3PerThousandPuts: 0.005,
  s3PerThousandGets: 0.0004,
  /** Lifecycle transition requests, per 1,000 objects moved. */
  s3PerThousandTransitionsToIa: 0.01,
  s3PerThousandTransitionsToGlacierInstant: 0.02,
  athenaPerTbScanned: 5,
} as const;
