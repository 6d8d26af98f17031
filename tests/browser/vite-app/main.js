// A minimal app as a user would write it, built by Vite in
// tests/js/browser.test.js.
import { PersistentMap, OpfsBackend } from '../../../js/browser.js';

const map = await PersistentMap.open('vite-app');
await map.set('greeting', 'hello from vite');
const entries = [...map];
await map.close();
window.viteResult = { backend: (await OpfsBackend.available()) ? 'opfs' : 'indexeddb', entries };
