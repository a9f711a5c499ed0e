import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadServerConfig } from './config';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
loadServerConfig().then(
  (server) =>
    root.render(
      <StrictMode>
        <App server={server} />
      </StrictMode>,
    ),
  (error: unknown) => root.render(<p className="error">The console cannot start: {(error as Error).message}</p>),
);
