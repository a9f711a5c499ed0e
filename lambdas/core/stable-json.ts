/** JSON with object keys sorted at every depth, so equal values always hash equal. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + stableStringify(value[i]);
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    if (object[key] === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${stableStringify(object[key])}`;
    first = false;
  }
  return `${out}}`;
}
