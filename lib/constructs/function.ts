/** A Tidemark Lambda: Node.js 22 on arm64, bundled by esbuild, traced, with its own log group. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

export type TidemarkFunctionProps = {
  /** Folder under `lambdas/` holding `handler.ts`. */
  readonly name: 'ingest' | 'process' | 'aggregate' | 'query' | 'lake';
  /** The handler's file in that folder. @default 'handler.ts' */
  readonly handlerFile?: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
};

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export class TidemarkFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: TidemarkFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.function = new NodejsFunction(this, 'Function', {
      entry: `${projectRoot}lambdas/${props.name}/${props.handlerFile ?? 'handler.ts'}`,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: `${projectRoot}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(props.timeoutSeconds),
      memorySize: props.memoryMb,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'tidemark',
        POWERTOOLS_METRICS_NAMESPACE: 'Tidemark',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: { minify: true, sourceMap: true, target: 'node22', logLevel: LogLevel.ERROR },
    });
  }
}
