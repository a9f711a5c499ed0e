/**
 * Where the API is and which keys to use. The server tells the console its API URL (and, from
 * the local runtime only, the demo project's keys); anything the user sets on the Settings page
 * wins and is kept in this browser's localStorage, never sent anywhere but the API.
 */
export type Settings = { apiUrl: string; writeKey: string; secretKey: string };
export type ServerConfig = { apiUrl: string; local: boolean; writeKey?: string; secretKey?: string };

const STORAGE_KEY = 'tidemark.console.settings';

export async function loadServerConfig(): Promise<ServerConfig> {
  const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return (await response.json()) as ServerConfig;
}

export function initialSettings(server: ServerConfig): Settings {
  const saved = readSaved();
  return {
    apiUrl: saved.apiUrl ?? server.apiUrl,
    writeKey: saved.writeKey ?? server.writeKey ?? '',
    secretKey: saved.secretKey ?? server.secretKey ?? '',
  };
}

export function saveSettings(settings: Settings): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
}

function readSaved(): Partial<Settings> {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as unknown;
    return value !== null && typeof value === 'object' ? (value as Partial<Settings>) : {};
  } catch {
    return {};
  }
}
