/** The optional console site: S3 behind CloudFront, `/v1/*` routed to the API, nothing public, nag-clean. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TidemarkStack } from '../../lib/tidemark-stack.js';

let distDir: string;
let template: Template;

beforeAll(() => {
  // A stand-in build: what matters here is how the stack deploys it, not what the console shows.
  distDir = mkdtempSync(join(tmpdir(), 'tidemark-console-'));
  mkdirSync(join(distDir, 'assets'));
  writeFileSync(join(distDir, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(distDir, 'assets', 'index.js'), 'console.log(1)');
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new TidemarkStack(app, 'WithConsole', { stageName: 'v1', consoleDistDir: distDir });
  // Synthesizing runs cdk-nag: an unacknowledged finding throws here.
  app.synth();
  template = Template.fromStack(stack);
}, 180_000);

afterAll(() => rmSync(distDir, { recursive: true, force: true }));

describe('console site', () => {
  it('keeps the files in a private, encrypted, TLS-only bucket read through origin access control', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.objectLike({}),
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('routes /v1/* and /track* to the API uncached with every method, and serves the rest from S3 over HTTPS', () => {
    const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution'));
    const config = distribution!.Properties.DistributionConfig;
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.FunctionAssociations).toHaveLength(1);
    expect(config.CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern).sort()).toEqual(['/track*', '/v1/*']);
    const api = config.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/v1/*');
    expect(config.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/track*')).toEqual({
      ...api,
      PathPattern: '/track*',
    });
    expect(api.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'OPTIONS']));
    expect(api.ViewerProtocolPolicy).toBe('https-only');
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 0,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Authorization', 'x-api-key'] },
        }),
      }),
    });
    // The API origin's path is the stage, so /v1/batch on the site is the stage's /v1/batch.
    expect(config.Origins).toHaveLength(2);
    const apiOrigin = config.Origins.find((o: { CustomOriginConfig?: unknown }) => o.CustomOriginConfig);
    expect(apiOrigin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
    expect(JSON.stringify(apiOrigin.OriginPath)).toMatch(/IngestApiDeploymentStagev1/);
  });

  it('deploys the build under console/ with a config that names no key', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketKeyPrefix: 'console/' });
    template.hasOutput('ConsoleUrl', {});
    expect(JSON.stringify(template.toJSON())).not.toMatch(/secretKey|writeKey/);
  });

  it('is not deployed unless asked, and refuses an unbuilt console with the command to run', () => {
    const plain = Template.fromStack(new TidemarkStack(new App(), 'Plain'));
    plain.resourceCountIs('AWS::CloudFront::Distribution', 0);
    expect(() => new TidemarkStack(new App(), 'Unbuilt', { consoleDistDir: join(distDir, 'missing') })).toThrow(/npm run build:console/);
  });
});
