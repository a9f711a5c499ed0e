/**
 * CORS for the public write routes: every route served by `ingest` except `/v1/import` (which
 * takes the secret key, never shipped to a browser). API Gateway's OPTIONS methods and the local
 * server's preflight answers are both built from this, and so are the headers on the responses.
 */
import { Routes, type RouteDefinition } from './routes.js';

export const Cors = {
  /** Write keys are public (shipped in apps), so any origin may write unless the stack narrows it. */
  defaultAllowOrigins: ['*'],
  allowMethods: ['OPTIONS', 'POST'],
  /**
   * What the SDKs send: keys in Authorization or x-api-key, JSON maybe gzipped, the idempotency
   * key, and OpenPanel's client headers (`@openpanel/sdk` 1.3.1 sends all four on every request).
   */
  allowHeaders: [
    'authorization',
    'content-type',
    'content-encoding',
    'x-api-key',
    'idempotency-key',
    'openpanel-client-id',
    'openpanel-client-secret',
    'openpanel-sdk-name',
    'openpanel-sdk-version',
  ],
  /** Browsers cap this themselves (Chromium at 2 hours); 10 minutes bounds how long a narrowed origin list takes to apply. */
  maxAgeSeconds: 600,
} as const;

const isPublicWrite = (route: RouteDefinition) => route.function === 'ingest' && route.path !== '/v1/import';

/** The routes a browser may call across origins. */
export const PublicWriteRoutes: readonly RouteDefinition[] = Routes.filter(isPublicWrite);

export const isPublicWritePath = (path: string): boolean => PublicWriteRoutes.some((route) => route.path === path);
