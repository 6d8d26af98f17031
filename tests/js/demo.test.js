// The demo app (demo/) driven in Debian's Chromium through its labels and
// roles: tasks survive a reload, CSV export and import (and a bad file's
// line and column), backend switching, compaction, two tabs sharing the tasks, the
// benchmark panel. Leaves a screenshot in test-artifacts/demo.png.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchProfile, newProfileDir } from '../browser/chromium.js';
import { useBrowser } from './browser_fixture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const browser = useBrowser();

// A failed test must not leave a tab holding the store's lock.
afterEach(async () => {
  for (const page of browser.context.pages()) await page.close();
});

/** Waits until the storage panel is no longer busy opening a store. */
async function settled(page) {
  await page.locator('#storage[aria-busy="false"]').waitFor();
}

async function openDemo() {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${browser.server.url}/demo/`);
  await settled(page);
  return page;
}

async function choose(page, label) {
  await page.getByRole('radio', { name: label, exact: true }).check();
  await settled(page);
  const status = await page.getByRole('status').textContent();
  const problem = await page.getByRole('alert').textContent();
  expect(`${status} ${problem}`).toMatch(new RegExp(`^Your tasks are kept in ${label}\\.`));
}

async function addTask(page, title) {
  await page.getByLabel('New task').fill(title);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('listitem').filter({ hasText: title }).waitFor();
}

async function saved(page) {
  await page.getByText('All changes saved').waitFor();
}

const titles = (page) => page.getByRole('list', { name: 'Tasks' }).getByRole('listitem').allTextContents();
const exactly = (text) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
// The figure (a definition) after the statistic's name (a term).
const statFigure = (page, name) =>
  page.getByRole('term').filter({ hasText: exactly(name) }).locator('xpath=following-sibling::dd[1]');
const stat = (page, name) => statFigure(page, name).textContent();
const waitForStat = (page, name, expected) => statFigure(page, name).filter({ hasText: exactly(expected) }).waitFor();

test('tasks survive a reload; CSV export, import, and a bad CSV with its line and column', async () => {
  const page = await openDemo();
  await choose(page, 'OPFS');
  for (const t of ['Buy milk', 'Water plants', 'Call Ada']) await addTask(page, t);
  await page.getByRole('checkbox', { name: 'Water plants' }).check();
  await saved(page);

  await page.reload();
  await settled(page);
  expect((await titles(page)).map((t) => t.replace('×', '').trim())).toEqual(['Buy milk', 'Water plants', 'Call Ada']);
  expect(await page.getByRole('checkbox', { name: 'Water plants' }).isChecked()).toBe(true);
  expect(await page.getByRole('checkbox', { name: 'Buy milk' }).isChecked()).toBe(false);
  expect(await stat(page, 'Tasks')).toBe('3');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('demo-tasks.csv');
  const csv = fs.readFileSync(await download.path(), 'utf8').split('\r\n');
  expect(csv[0]).toBe('key,value');
  expect(csv.filter((l) => l !== '')).toHaveLength(4);
  expect(csv[1]).toMatch(/^task:[^,]+,"\{""title"":""Buy milk"",""done"":false,/);
  expect(csv[2]).toMatch(/^task:[^,]+,"\{""title"":""Water plants"",""done"":true,/);

  await page.getByLabel('Import CSV').setInputFiles({
    name: 'more.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('key,value\r\ntask:imported,"{""title"":""Imported task"",""done"":false}"\r\nsetting,42\r\n'),
  });
  await page.getByRole('status').filter({ hasText: 'Imported 2 rows from more.csv.' }).waitFor();
  await page.getByRole('listitem').filter({ hasText: 'Imported task' }).waitFor();
  await page.getByRole('listitem').filter({ hasText: 'setting = 42' }).waitFor();
  await waitForStat(page, 'Tasks', '5');

  // Line 3's value is not JSON: nothing of the file goes in, the row on line 2 included.
  await page.getByLabel('Import CSV').setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('key,value\nfine,1\nbroken,{nope}\n'),
  });
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'CSV line 3, column 8' }).waitFor();
  expect(await alert.textContent()).toMatch(/^Nothing was imported from bad\.csv\. CSV line 3, column 8: /);
  expect(await stat(page, 'Tasks')).toBe('5');
  expect(await page.getByRole('listitem').filter({ hasText: 'fine = 1' }).count()).toBe(0);
  await page.close();
});

test('each backend keeps its own store; the store details are collapsed, and there compact now starts a new generation', async () => {
  const page = await openDemo();
  await choose(page, 'IndexedDB');
  await addTask(page, 'Kept in IndexedDB');
  await saved(page);
  await choose(page, 'SQLite');
  await addTask(page, 'Kept in SQLite');
  await saved(page);
  await page.reload();
  await settled(page);
  expect(await page.getByRole('radio', { name: 'SQLite' }).isChecked()).toBe(true);
  expect((await titles(page)).join()).toContain('Kept in SQLite');
  await choose(page, 'Memory');
  await addTask(page, 'Kept in memory');
  await saved(page);
  expect(await titles(page)).toHaveLength(1);
  await choose(page, 'IndexedDB');
  expect((await titles(page)).join()).toContain('Kept in IndexedDB');
  expect((await titles(page)).join()).not.toContain('Kept in memory');

  // The choice is remembered; memory forgets its store on reload.
  await choose(page, 'Memory');
  await page.reload();
  await settled(page);
  expect(await page.getByRole('radio', { name: 'Memory' }).isChecked()).toBe(true);
  expect(await titles(page)).toEqual([]);

  await choose(page, 'OPFS');
  await addTask(page, 'Toggled');
  const box = page.getByRole('checkbox', { name: 'Toggled' });
  for (let i = 0; i < 4; i++) {
    await box.setChecked(i % 2 === 0);
    await saved(page);
  }
  // The main view speaks of tasks; the store's internals wait, collapsed,
  // in a <details> of their own.
  const internals = page.locator('details', { has: page.locator('summary', { hasText: exactly('Store details') }) });
  expect(await internals.evaluate((d) => d.open)).toBe(false);
  expect(await internals.locator('dt').allTextContents()).toEqual(['Entries', 'Records (live / total)', 'Log bytes', 'Dead ratio', 'Compactions']);
  expect(await page.getByRole('term').allTextContents()).toEqual(['Tasks', 'Space used']);
  expect(await stat(page, 'Space used')).toMatch(/^\d+ bytes$|^\d+\.\d kB$/);
  expect(await page.getByRole('button', { name: 'Compact now' }).isVisible()).toBe(false);
  expect(await page.locator('#storage').innerText()).not.toMatch(/\blog\b|record|ratio|entries|generation|compact/i);
  await page.getByText('Store details', { exact: true }).click();
  expect(await internals.evaluate((d) => d.open)).toBe(true);
  await statFigure(page, 'Dead ratio').filter({ hasNotText: exactly('0 %') }).waitFor();
  const generation = Number(await stat(page, 'Compactions'));
  await page.getByRole('button', { name: 'Compact now' }).click();
  await waitForStat(page, 'Compactions', String(generation + 1));
  expect(await stat(page, 'Dead ratio')).toBe('0 %');
  expect(await internals.getByText(/^Compacted: /).textContent()).toMatch(/^Compacted: the log went from [\d,]+ to [\d,]+ bytes\.$/);
  expect(await internals.getByText(/^Opened /).textContent()).toMatch(/^Opened 'demo-tasks' with OPFS in [\d.]+ ms: replayed \d+ log records\.$/);
  await page.close();
});

test('two tabs share the tasks live: a task added in one shows up in the other, and closing the tab that holds the storage hands it over', async () => {
  const first = await openDemo();
  await choose(first, 'OPFS');
  await first.getByText('This tab holds the storage').waitFor();
  const second = await openDemo();
  await second.getByText('Another tab holds the storage; this tab shares it live').waitFor();
  await first.getByText('1 other tab follows it live').waitFor();
  expect(await second.getByRole('alert').textContent()).toBe('');
  await addTask(first, 'Shared in first');
  await second.getByRole('listitem').filter({ hasText: 'Shared in first' }).waitFor();
  await addTask(second, 'Shared in second');
  await first.getByRole('listitem').filter({ hasText: 'Shared in second' }).waitFor();
  await first.close();
  await second.getByText('This tab holds the storage').waitFor();
  await addTask(second, 'After the hand-over');
  await second.reload();
  await settled(second);
  for (const t of ['Shared in first', 'Shared in second', 'After the hand-over']) {
    await second.getByRole('listitem').filter({ hasText: t }).waitFor();
  }
  await second.close();
});

test('a backend that fails to open shows its error, and another one can be chosen', async () => {
  // A profile of its own, with no storage quota before the page touches any.
  const dir = newProfileDir();
  const ctx = await launchProfile(dir);
  try {
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: browser.server.url, quotaSize: 0 });
    await page.goto(`${browser.server.url}/demo/`);
    await settled(page);
    expect(await page.getByRole('status').textContent()).toBe('Your tasks could not be opened in OPFS.');
    expect(await page.getByRole('alert').textContent()).toMatch(/^The browser gives this site no more storage space \(OPFS append of 'demo-tasks': .+\)\.$/);
    expect(await page.getByRole('button', { name: 'Export CSV' }).isDisabled()).toBe(true);
    expect(await page.getByLabel('New task').isDisabled()).toBe(true);
    await choose(page, 'Memory');
    expect(await page.getByRole('alert').textContent()).toBe('');
    await addTask(page, 'Works in memory');
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the benchmark panel measures persistent-map, localStorage and idb-keyval', async () => {
  const page = await openDemo();
  await choose(page, 'OPFS');
  await page.getByLabel('Operations').fill('200');
  await page.getByRole('button', { name: 'Run benchmark' }).click();
  await page.getByText('200 writes one by one, 200 at once and 200 reads each.').waitFor({ timeout: 30000 });
  const rows = await page.locator('#bench-rows tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  expect(rows.map((r) => r[0])).toEqual(['persistent-map (opfs)', 'localStorage', 'idb-keyval']);
  for (const [, ...figures] of rows) {
    expect(figures).toHaveLength(3); // one by one, at once, reads
    for (const f of figures) expect(f).toMatch(/^(\d+\.\d ms [\d,]+\/s|< 0\.1 ms)$/);
  }
  fs.mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(root, 'test-artifacts', 'demo.png'), fullPage: true });
  await page.close();
});
