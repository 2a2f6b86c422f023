import { render } from 'preact';
import { App } from './App';
import './styles.css';
import { restoreZoom } from './zoom';

restoreZoom();

render(<App />, document.getElementById('app')!);
