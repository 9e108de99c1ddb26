import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { LifelineProvider } from '@lifeline/react';
import { App } from './App';
import { readConfig } from './config';
import './styles.css';

const config = readConfig(location.search, location.hostname);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LifelineProvider
      url={`${config.server}/v1`}
      // Quick retries keep the demo lively; the defaults suit production.
      options={{ reconnect: { initialDelayMs: 250, maxDelayMs: 2_000 } }}
    >
      <App room={config.room} name={config.name} />
    </LifelineProvider>
  </StrictMode>,
);
