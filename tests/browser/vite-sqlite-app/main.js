// An app as a user would write it with the sqlite backend, built by Vite in
// tests/js/browser_sqlite.test.js: importing the entry point (here by path;
// an app writes 'persistent-map/sqlite') registers the backend.
import { PersistentMap } from '../../../js/browser.js';
import '../../../js/backends/sqlite/sqlite_browser.js';

const map = await PersistentMap.open('vite-sqlite-app', { backend: 'sqlite' });
await map.set('greeting', 'hello from sqlite in vite');
const entries = [...map];
await map.close();
window.viteResult = { entries };
