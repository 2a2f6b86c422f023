import { render } from 'preact';
import { App } from './App';
import { LockGate } from './components/AppLock';
import './styles.css';
import { restoreZoom } from './zoom';

restoreZoom();

render(
  <LockGate>
    <App />
  </LockGate>,
   document.getElementById('app')!);
