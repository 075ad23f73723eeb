import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App';

// The CSP forbids eval, so zod's compiled fast path is unavailable: say so, instead of letting zod
// probe with `new Function` (which the browser reports as a CSP violation).
z.config({ jitless: true });

const root = document.getElementById('root');
if (!root) throw new Error('Netwright: #root is missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
