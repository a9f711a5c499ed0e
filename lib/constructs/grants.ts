/**
 * Least-privilege DynamoDB grants: exactly the named actions, on the table and only the indexes
 * named (the stock `grant` adds `index/*` to every grant).
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

export type DynamoAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'Query' | 'BatchGetItem' | 'BatchWriteItem';

export function grantTable(fn: lambda.IFunction, table: dynamodb.ITable, actions: DynamoAction[], indexes: string[] = []): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: actions.map((action) => `dynamodb:${action}`),
      resources: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index}`)],
    }),
  );
}
