/** The console's frame: navigation, the page for the current URL, and the API client for the current settings. */
import { useMemo, useState } from 'react';
import { TidemarkApi } from './api';
import { initialSettings, saveSettings, type ServerConfig, type Settings as SettingsValue } from './config';
import { Devices } from './pages/Devices';
import { Events } from './pages/Events';
import { Explore } from './pages/Explore';
import { Overview } from './pages/Overview';
import { Rejections } from './pages/Rejections';
import { Send } from './pages/Send';
import { Settings } from './pages/Settings';
import { hrefFor, Pages, useRoute, type Page } from './router';

const Titles: Record<Page, string> = {
  overview: 'Overview',
  explore: 'Explore',
  events: 'Events',
  rejections: 'Rejections',
  send: 'Send',
  devices: 'Devices',
  settings: 'Settings',
};

export function App({ server }: { server: ServerConfig }) {
  const [settings, setSettings] = useState(() => initialSettings(server));
  const api = useMemo(() => new TidemarkApi(settings), [settings]);
  const { page, params } = useRoute();
  const missingKey = page !== 'settings' && page !== 'overview' && !settings.secretKey;
  const save = (next: SettingsValue) => {
    saveSettings(next);
    setSettings(next);
  };
  return (
    <div className="app">
      <nav>
        <strong className="brand">Tidemark</strong>
        {Pages.map((p) => (
          <a key={p} href={hrefFor(p)} className={p === page ? 'active' : undefined}>
            {Titles[p]}
          </a>
        ))}
        <span className="where">{server.local ? 'local runtime' : settings.apiUrl || 'this origin'}</span>
      </nav>
      <main>
        {missingKey && (
          <div className="warning">
            No secret key yet: add one in <a href={hrefFor('settings')}>Settings</a>.
          </div>
        )}
        {page === 'overview' && <Overview api={api} local={server.local} />}
        {page === 'explore' && <Explore api={api} params={params} />}
        {page === 'events' && <Events api={api} params={params} />}
        {page === 'rejections' && <Rejections api={api} />}
        {page === 'send' && <Send api={api} local={server.local} />}
        {page === 'devices' && <Devices api={api} params={params} />}
        {page === 'settings' && <Settings settings={settings} onSave={save} />}
      </main>
    </div>
  );
}
