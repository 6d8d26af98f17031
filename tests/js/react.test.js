// 'persistent-map/react' in Node with the real React: server rendering
// (renderToString uses getServerSnapshot). Re-rendering on changes, from
// this tab and from another, is tested in Chromium (browser_react.test.js).
import { createElement as h } from 'react';
import { renderToString } from 'react-dom/server';
import { PersistentMap } from '../../js/index.js';
import { usePersistentMap, usePersistentValue } from '../../js/react.js';
import { uniqueName } from './helpers.js';

let map;
beforeAll(async () => {
  map = await PersistentMap.open(uniqueName('react'), { backend: 'memory' });
  await map.setMany([['greeting', 'hello'], ['n', 2]]);
});
afterAll(() => map.close());

function Value({ source, k, options }) {
  return h('p', null, String(usePersistentValue(source, k, options)));
}

test('a server render with the store open shows the stored value', () => {
  expect(renderToString(h(Value, { source: map, k: 'greeting' }))).toBe('<p>hello</p>');
});

test('a server render shows serverValue when it is given, with or without a map, so that hydration matches it', () => {
  expect(renderToString(h(Value, { source: map, k: 'greeting', options: { serverValue: 'loading' } }))).toBe('<p>loading</p>');
  expect(renderToString(h(Value, { source: null, k: 'greeting', options: { serverValue: 'loading' } }))).toBe('<p>loading</p>');
  expect(renderToString(h(Value, { source: null, k: 'greeting' }))).toBe('<p>undefined</p>');
});

test('usePersistentMap gives the map (null without one) to read from', () => {
  function Size({ source }) {
    const m = usePersistentMap(source);
    return h('p', null, m === null ? 'none' : `${m.size}:${m.get('n')}`);
  }
  expect(renderToString(h(Size, { source: map }))).toBe('<p>2:2</p>');
  expect(renderToString(h(Size, { source: null }))).toBe('<p>none</p>');
});

test('the hooks refuse a key that is not a string, and a map that is not one, with TypeErrors', () => {
  expect(() => renderToString(h(Value, { source: map, k: 1 }))).toThrow(expect.objectContaining({ name: 'TypeError', code: 'INVALID' }));
  expect(() => renderToString(h(Value, { source: {}, k: 'a' }))).toThrow(expect.objectContaining({ code: 'INVALID' }));
  function Whole() {
    usePersistentMap(new Map());
    return null;
  }
  expect(() => renderToString(h(Whole))).toThrow(TypeError);
});
