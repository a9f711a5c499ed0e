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
} as const;
