// The demo page: one PersistentMap ('demo-tasks') in the backend the user
// picks, its tasks, live statistics, CSV export/import and compaction. The
// benchmark panel lives in bench.js.
import { PersistentMap } from 'persistent-map';
import { BACKENDS, DEFAULT_BACKEND } from './backends.js';
import { setupBenchmark } from './bench.js';
import { isTask, newTask, newTaskKey, renderTasks } from './tasks.js';

const STORE = 'demo-tasks';
const CHOICE = 'persistent-map-demo:backend'; // localStorage key of the chooser

const $ = (id) => document.getElementById(id);
const ui = {
  storage: $('storage'),
  chooser: $('backend-chooser'),
  status: $('status'),
  problem: $('problem'),
  role: $('role'),
  storageFigures: document.querySelectorAll('#storage dd[data-stat]'),
  openReport: $('open-report'),
  compactReport: $('compact-report'),
  addForm: $('add-form'),
  newTask: $('new-task'),
  list: $('task-list'),
  empty: $('empty'),
  readTime: $('read-time'),
  saveState: $('save-state'),
  deleteDone: $('delete-done'),
  compact: $('compact'),
  export: $('export'),
  import: $('import'),
};
// Controls that need an open store.
const storeControls = [ui.newTask, ui.addForm.querySelector('button'), ui.deleteDone, ui.compact, ui.export, ui.import];

let map = null; // the open store, or null
let pendingWrites = 0;

const labelOf = (kind) => BACKENDS.find((b) => b.kind === kind)?.label ?? kind;
const chosen = () => ui.chooser.querySelector('input:checked')?.value ?? DEFAULT_BACKEND;

// ---- messages ----

function say(text) {
  ui.status.textContent = text;
}

/** Shows an error as the user should read it (null clears it). */
function showProblem(err, context = '') {
  if (!err) {
    ui.problem.textContent = '';
    return;
  }
  let text = err.message;
  if (err.code === 'LOCKED') {
    text = 'Your tasks are open in another tab of this browser that does not share them (it opened them with { exclusive: true }). Close that tab, then pick the storage again.';
  } else if (err.code === 'QUOTA') {
    text = `The browser gives this site no more storage space (${err.message}).`;
  }
  ui.problem.textContent = context + text;
}

// ---- drawing ----

// A byte count as a person reads it.
function sizeText(bytes) {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

const STAT_TEXT = {
  size: (s) => s.size.toLocaleString('en'),
  space: (s) => sizeText(s.logBytes),
  records: (s) => `${s.liveRecords.toLocaleString('en')} / ${s.totalRecords.toLocaleString('en')}`,
  logBytes: (s) => `${s.logBytes.toLocaleString('en')} B`,
  deadRatio: (s) => `${Math.round(s.deadRatio * 100)} %`,
  generation: (s) => String(s.generation), // each compaction starts a new generation
};

function drawStats() {
  const s = map?.stats();
  for (const dd of ui.storageFigures) dd.textContent = s ? STAT_TEXT[dd.dataset.stat](s) : '–';
  drawRole(s);
}

// Every tab of the demo shares the store: one holds the storage (the
// leader), the others follow it live, and take over when it closes.
function drawRole(s) {
  let text = '';
  if (s?.role === 'leader') {
    text = s.clients > 0
      ? `This tab holds the storage; ${s.clients} other ${s.clients === 1 ? 'tab follows' : 'tabs follow'} it live.`
      : 'This tab holds the storage. Open the demo in another tab: both show the same tasks, live.';
  } else if (s?.role === 'follower') {
    text = 'Another tab holds the storage; this tab shares it live, and takes over if that tab closes.';
  }
  ui.role.textContent = text;
}

let drawScheduled = false;
function draw() {
  if (drawScheduled) return;
  drawScheduled = true;
  requestAnimationFrame(() => {
    drawScheduled = false;
    renderTasks(map, ui);
    drawStats();
  });
}

function drawSaveState() {
  ui.saveState.textContent = !map ? '' : pendingWrites > 0 ? 'Saving…' : 'All changes saved';
}

function setBusy(busy) {
  ui.storage.setAttribute('aria-busy', String(busy));
  for (const input of ui.chooser.querySelectorAll('input')) input.disabled = busy;
  for (const control of storeControls) control.disabled = busy || !map;
}

// ---- the store ----

async function openStore(kind) {
  setBusy(true);
  showProblem(null);
  if (map) {
    // Close first: the Web Lock is per store name, whatever the backend.
    const old = map;
    map = null;
    await old.close().catch((err) => showProblem(err, 'Closing the previous store failed: '));
  }
  ui.openReport.textContent = '';
  ui.compactReport.textContent = '';
  draw();
  say(`Opening your tasks in ${labelOf(kind)}…`);
  const start = performance.now();
  try {
    map = await PersistentMap.open(STORE, { backend: kind });
    map.on('change', draw);
    const ms = (performance.now() - start).toFixed(1);
    const { records, damaged } = map.recovery;
    const dropped = damaged.reduce((n, d) => n + d.end - d.begin, 0);
    say(`Your tasks are kept in ${labelOf(kind)}.` +
      (dropped ? ' A change that was being saved when the page last closed was incomplete and is left out.' : ''));
    ui.openReport.textContent = `Opened '${STORE}' with ${labelOf(kind)} in ${ms} ms: replayed ${records} log records` +
      (dropped ? `, dropped a torn tail of ${dropped} bytes.` : '.');
  } catch (err) {
    say(`Your tasks could not be opened in ${labelOf(kind)}.`);
    showProblem(err);
  } finally {
    setBusy(false);
    drawSaveState();
    draw();
  }
}

/**
 * Runs op(map); a failure is shown (prefixed by `context`) and the list is
 * redrawn from the map, which rolls back a write that failed.
 */
async function act(op, context, { saves = true } = {}) {
  if (!map) return;
  showProblem(null);
  if (saves) pendingWrites++;
  drawSaveState();
  try {
    await op(map);
  } catch (err) {
    showProblem(err, context);
  } finally {
    if (saves) pendingWrites--;
    drawSaveState();
    draw();
  }
}

// ---- controls ----

function buildChooser(selected) {
  for (const { kind, label, note } of BACKENDS) {
    const row = document.createElement('div');
    row.className = 'choice';
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = 'backend';
    radio.id = `backend-${kind}`;
    radio.value = kind;
    radio.checked = kind === selected;
    radio.setAttribute('aria-describedby', `backend-${kind}-note`);
    const text = document.createElement('label');
    text.htmlFor = radio.id;
    text.textContent = label;
    const small = document.createElement('small');
    small.id = `backend-${kind}-note`;
    small.textContent = note;
    row.append(radio, text, small);
    ui.chooser.append(row);
  }
  ui.chooser.addEventListener('change', () => {
    localStorage.setItem(CHOICE, chosen());
    openStore(chosen());
  });
}

ui.addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const title = ui.newTask.value.trim();
  if (!title) return;
  ui.newTask.value = '';
  act((m) => m.set(newTaskKey(), newTask(title)), 'Adding the task failed: ');
});

ui.list.addEventListener('change', (event) => {
  const key = event.target.closest('li')?.dataset.key;
  if (key === undefined || event.target.type !== 'checkbox') return;
  act((m) => m.update(key, (task) => ({ ...task, done: event.target.checked })), 'Saving the task failed: ');
});

ui.list.addEventListener('click', (event) => {
  if (!event.target.classList.contains('remove')) return;
  const key = event.target.closest('li').dataset.key;
  act((m) => m.delete(key), 'Deleting failed: ');
});

ui.deleteDone.addEventListener('click', () => act((m) => {
  const done = [...m].filter(([, v]) => isTask(v) && v.done === true).map(([k]) => k);
  return m.deleteMany(done); // one atomic record
}, 'Deleting failed: '));

ui.compact.addEventListener('click', () => act(async (m) => {
  const before = m.stats().logBytes;
  await m.compact();
  ui.compactReport.textContent = `Compacted: the log went from ${before.toLocaleString('en')} to ${m.stats().logBytes.toLocaleString('en')} bytes.`;
}, 'Compaction failed: '));

ui.export.addEventListener('click', () => act(async (m) => {
  const entries = m.size; // exportCSV exports the map as it is at the call
  const chunks = [];
  for await (const chunk of m.exportCSV()) chunks.push(chunk);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob(chunks, { type: 'text/csv' }));
  link.download = `${STORE}.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000); // after the download has read it
  say(`Exported ${entries} entries as ${link.download}.`);
}, 'Export failed: ', { saves: false }));

ui.import.addEventListener('change', () => {
  const file = ui.import.files[0];
  ui.import.value = ''; // the same file can be picked again
  if (!file) return;
  act(async (m) => {
    const rows = await m.importCSV(file);
    showProblem(null);
    say(`Imported ${rows} ${rows === 1 ? 'row' : 'rows'} from ${file.name}.`);
  }, `Nothing was imported from ${file.name}. `);
});

// A compaction the map starts by itself changes the figures without an
// event, as does another tab joining or leaving.
setInterval(() => {
  if (map && document.visibilityState === 'visible') drawStats();
}, 1000);

const saved = localStorage.getItem(CHOICE);
buildChooser(BACKENDS.some((b) => b.kind === saved) ? saved : DEFAULT_BACKEND);
setupBenchmark({
  form: $('bench-form'),
  count: $('bench-n'),
  rows: $('bench-rows'),
  status: $('bench-status'),
  backend: chosen,
});
openStore(chosen());
