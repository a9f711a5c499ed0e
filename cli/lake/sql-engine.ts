/** What `tidemark sql` runs a statement on: DuckDB over the local lake, or Athena over a stack's. */
export type SqlValue = string | number | boolean | null | SqlValue[] | { [key: string]: SqlValue };

export type SqlResult = { readonly columns: string[]; readonly types: string[]; readonly rows: SqlValue[][] };

export interface SqlEngine {
  query(statement: string, onProgress?: (state: string) => void): Promise<SqlResult>;
  close(): Promise<void>;
}
