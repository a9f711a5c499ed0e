/** Small pieces every page uses: loading and error states, a stat tile, a JSON block. */
import type { ReactNode } from 'react';
import { ApiError } from '../api';

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? `${error.code}${error.status ? ` (HTTP ${error.status})` : ''}` : 'error';
  return (
    <div className="error" role="alert">
      <strong>{code}</strong> {message}
    </div>
  );
}

export function Stat({ label, value, hint, testId }: { label: string; value: ReactNode; hint?: string; testId?: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
      {hint && <span className="stat-hint">{hint}</span>}
    </div>
  );
}

export function JsonBlock({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the `children` every caller passes (an input or a select)
    <label className="field">
      <span>{label}</span>
      {children}
    </label>
  );
}
