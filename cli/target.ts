/**
 * Where the CLI acts: the local runtime (found through `runtime.json` in its data directory) or a
 * deployed stack (found through its CloudFormation outputs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RUNTIME_FILE, type RuntimeOutputs } from '../local/runtime-descriptor.js';
import { StackOutputs } from '../resources/index.js';

export type Target = RuntimeOutputs & { readonly documents: DynamoDBDocumentClient; readonly sqs: SQSClient; close(): void };

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function resolveTarget(options: { stack?: string; dataDir?: string }): Promise<Target> {
  const outputs = options.stack ? await stackOutputs(options.stack) : localOutputs(options.dataDir);
  const local = (endpoint: string | undefined) => (endpoint ? { endpoint, region: 'us-east-1', credentials: localCredentials } : {});
  const dynamo = new DynamoDBClient(local(outputs.dynamodbEndpoint));
  const sqs = new SQSClient(local(outputs.sqsEndpoint));
  return {
    ...outputs,
    documents: DynamoDBDocumentClient.from(dynamo),
    sqs,
    close: () => {
      dynamo.destroy();
      sqs.destroy();
    },
  };
}

function localOutputs(dataDir = process.env.TIDEMARK_DATA_DIR ?? '.tidemark'): RuntimeOutputs {
  const file = join(resolve(dataDir), RUNTIME_FILE);
  if (!existsSync(file))
    throw new Error(
      `No local runtime found (${file} is missing): start one with \`npm start\`, or name a deployed stack with --stack. ` +
        'A runtime started with TIDEMARK_DATA_DIR=<dir> is found with the same variable or --data-dir <dir>.',
    );
  return JSON.parse(readFileSync(file, 'utf8')) as RuntimeOutputs;
}

async function stackOutputs(stackName: string): Promise<RuntimeOutputs> {
  const client = new CloudFormationClient({});
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const need = (key: string) => {
      const value = outputs[key];
      if (!value) throw new Error(`Stack ${stackName} has no output ${key}; is it a Tidemark stack?`);
      return value;
    };
    return {
      apiUrl: need(StackOutputs.apiUrl).replace(/\/$/, ''),
      keysTableName: need(StackOutputs.keysTableName),
      eventsTableName: need(StackOutputs.eventsTableName),
      aggregatesTableName: need(StackOutputs.aggregatesTableName),
      eventsQueueUrl: need(StackOutputs.eventsQueueUrl),
      deadLetterQueueUrl: need(StackOutputs.deadLetterQueueUrl),
      ...(outputs[StackOutputs.lakeBucketName] ? { lakeBucketName: outputs[StackOutputs.lakeBucketName] } : {}),
      ...(outputs[StackOutputs.lakeWorkgroupName] ? { lakeWorkgroupName: outputs[StackOutputs.lakeWorkgroupName] } : {}),
    };
  } finally {
    client.destroy();
  }
}
