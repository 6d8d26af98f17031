// A React app as a user would write it (without JSX, so it needs no JSX
// transform), built by Vite in tests/js/browser_react.test.js: two
// components that show one key each, and a zustand store persisted in the
// map. window.renders records what each component rendered, render by render.
import { createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { PersistentMap } from 'persistent-map';
import { rehydrateOnChange, zustandStorage } from 'persistent-map/adapters';
import { usePersistentValue } from 'persistent-map/react';

const map = await PersistentMap.open('react-app');
const useSettings = create()(persist((set) => ({ theme: 'light', setTheme: (theme) => set({ theme }) }), {
  name: 'settings',
  storage: zustandStorage(map),
}));
rehydrateOnChange(useSettings, map);

window.renders = { a: [], b: [], theme: [] };

function Value({ k }) {
  const value = usePersistentValue(map, k); // an object: a fresh copy per read, so a needless read re-renders
  window.renders[k].push(value?.text ?? null);
  return h('p', { id: k }, value?.text ?? '');
}

function Theme() {
  const theme = useSettings((s) => s.theme);
  window.renders.theme.push(theme);
  return h('p', { id: 'theme' }, theme);
}

createRoot(document.getElementById('root')).render(h('main', null, h(Value, { k: 'a' }), h(Value, { k: 'b' }), h(Theme)));
window.app = { map, settings: useSettings };
