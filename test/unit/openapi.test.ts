/** The API reference in docs/openapi.json says what the code does. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RejectionReason } from '../../lambdas/core/types.js';
import { Routes } from '../../resources/index.js';

const spec = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));

describe('docs/openapi.json', () => {
  it('documents exactly the routes the API serves', () => {
    const documented = Object.entries(spec.paths as Record<string, object>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(Routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('documents exactly the query parameters each read route takes (any other is refused)', () => {
    for (const route of Routes.filter((r) => r.method === 'GET' && 'query' in r)) {
      const documented = (spec.paths[route.path].get.parameters as { name: string; in: string }[])
        .filter((p) => p.in === 'query')
        .map((p) => p.name);
      expect([route.path, ...documented.sort()]).toEqual([route.path, ...[...(route as { query: readonly string[] }).query].sort()]);
    }
  });

  it('lists the rejection reasons the code emits', () => {
    expect(spec.components.schemas.Rejection.properties.reason.enum.sort()).toEqual(Object.values(RejectionReason).sort());
  });
});
