// The task list: how a task is stored (key `task:<id>`, value
// { title, done, created }) and drawn. An imported CSV may hold values that
// are not tasks; those are listed as `key = JSON`.

// Drawing thousands of rows would time the DOM, not the store.
const SHOWN = 500;

export function newTaskKey() {
  return `task:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export function newTask(title) {
  return { title, done: false, created: new Date().toISOString() };
}

export function isTask(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) &&
    !(value instanceof Uint8Array) && typeof value.title === 'string';
}

function describe(key, value) {
  if (value instanceof Uint8Array) return `${key} = ${value.length} bytes`;
  return `${key} = ${JSON.stringify(value)}`;
}

function item(key, value) {
  const li = document.createElement('li');
  li.dataset.key = key;
  let name;
  if (isTask(value)) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = value.done === true;
    const title = document.createElement('span');
    title.textContent = value.title;
    label.append(box, title);
    li.append(label);
    li.classList.toggle('done', box.checked);
    name = value.title;
  } else {
    const text = document.createElement('code');
    text.textContent = describe(key, value);
    li.append(text);
    name = key;
  }
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'remove';
  remove.textContent = '×';
  remove.setAttribute('aria-label', `Delete ${name}`);
  li.append(remove);
  return li;
}

/**
 * Draws the map's entries (null: no store open) into `list` and says how
 * long reading them all from memory took.
 */
export function renderTasks(map, { list, empty, readTime }) {
  if (!map) {
    list.replaceChildren();
    empty.hidden = true;
    readTime.textContent = '';
    return;
  }
  const start = performance.now();
  const entries = [...map];
  const ms = performance.now() - start;
  const items = entries.slice(0, SHOWN).map(([key, value]) => item(key, value));
  if (entries.length > SHOWN) {
    const more = document.createElement('li');
    more.className = 'more';
    more.textContent = `… and ${entries.length - SHOWN} more`;
    items.push(more);
  }
  list.replaceChildren(...items);
  empty.hidden = entries.length > 0;
  readTime.textContent = `Read ${entries.length} ${entries.length === 1 ? 'item' : 'items'} from memory in ${ms.toFixed(2)} ms.`;
}
