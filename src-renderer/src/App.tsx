import { useEffect } from 'react';
import { Canvas } from './components/Canvas';
import { StatusBar } from './components/StatusBar';
import { useEngine } from './state/engine-store';

export function App() {
  const connect = useEngine((s) => s.connect);
  useEffect(() => connect(), [connect]);
  return (
    <div className="app">
      <header className="title-bar">
        <span className="brand">Netwright</span>
      </header>
      <main className="workspace">
        <Canvas />
      </main>
      <StatusBar />
    </div>
  );
}
