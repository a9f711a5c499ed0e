/**
 * The console as a static site next to the stack: the built files in a private S3 bucket, behind
 * a CloudFront distribution that also routes the API's paths (`/v1/*`, OpenPanel's `/track*`) to the API. Console and API share one origin,
 * so the browser needs no CORS, and the console's config names no URL. Keys are never deployed:
 * each user enters a secret key in the console's Settings, kept in their own browser.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

export type ConsoleSiteProps = {
  readonly api: apigateway.RestApi;
  /** The output of `npm run build:console`. */
  readonly distDir: string;
};

/** Where the console lives on the site; the same path the local runtime serves it at. */
export const CONSOLE_PATH = '/console/';

/** `/` and `/console` lead to the console; a path ending in `/` gets its index.html (S3 has no directories). */
const INDEX_REWRITE = `function handler(event) {
  var request = event.request;
  if (request.uri === '/' || request.uri === '/console') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '${CONSOLE_PATH}' } } };
  }
  if (request.uri.endsWith('/')) request.uri += 'index.html';
  return request;
}`;

export class ConsoleSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly deployment: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    if (!existsSync(join(props.distDir, 'index.html'))) {
      throw new Error(`The console is not built (no ${join(props.distDir, 'index.html')}): run \`npm run build:console\` first.`);
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Only build output lives here; every deploy writes it again.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    const noCache = new cloudfront.CachePolicy(this, 'ApiCachePolicy', {
      comment: 'Tidemark API through the console site: never cached, keys passed on',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('Authorization', 'x-api-key'),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
    });
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: new origins.RestApiOrigin(props.api),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: noCache,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Tidemark console',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        functionAssociations: [
          {
            eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
            function: new cloudfront.Function(this, 'IndexRewrite', {
              code: cloudfront.FunctionCode.fromInline(INDEX_REWRITE),
              runtime: cloudfront.FunctionRuntime.JS_2_0,
            }),
          },
        ],
      },
      // The Send page posts to /v1/batch, and its OpenPanel preset to /track/batch.
      additionalBehaviors: { '/v1/*': apiBehavior, '/track*': apiBehavior },
    });
    this.deployment = new s3deploy.BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_PATH.slice(1),
      sources: [s3deploy.Source.asset(props.distDir), s3deploy.Source.jsonData('config.json', { apiUrl: '', local: false })],
      distribution: this.distribution,
      distributionPaths: [`${CONSOLE_PATH}*`],
    });
  }

  get url(): string {
    return `https://${this.distribution.distributionDomainName}${CONSOLE_PATH}`;
  }
}
