// Where a browser sqlite store lives in the Origin Private File System: the
// opfs-sahpool pool directory persistent-map/sqlite/<name>, the name
// encoded so that any store name is a valid OPFS entry name.

export function sqliteStoreDirectory(name) {
  return ['persistent-map', 'sqlite', encodeURIComponent(name).replaceAll('.', '%2E')];
}
