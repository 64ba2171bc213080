import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { captureFragmentToken } from './router';
import './styles.css';

// A mailed link's token is taken out of the address bar before anything renders.
captureFragmentToken();
window.addEventListener('hashchange', captureFragmentToken);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
