// Types of the entry point 'persistent-map/sqlite' (js/backends/sqlite/sqlite_node.js
// in Node, js/backends/sqlite/sqlite_browser.js in browsers).
export { SqliteBackend, type SqliteFileSystem } from './index.js';
