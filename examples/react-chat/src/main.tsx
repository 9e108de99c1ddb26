import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { LifelineProvider } from '@lifeline/react';
import { App } from './App';
import { readConfig } from './config';
import './styles.css';

const config = readConfig(location.search, location.hostname);
const reconnect =
  config.retryMs === null
    ? // Quick retries keep the demo lively; the defaults suit production.
      { initialDelayMs: 250, maxDelayMs: 2_000 }
    : { initialDelayMs: config.retryMs, maxDelayMs: config.retryMs, jitter: 'none' as const };

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LifelineProvider url={`${config.server}/v1`} options={{ reconnect }}>
      <App room={config.room} name={config.name} />
    </LifelineProvider>
  </StrictMode>,
);
