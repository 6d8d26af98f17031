// The browser suites' shared set-up: one static server over the repository
// and one Chromium with a fresh profile for the whole test file, closed and
// removed after it. Call at the top level of a Jest test file:
//   const browser = useBrowser();   // browser.server.url, browser.context
import fs from 'node:fs';
import { launchProfile, newProfileDir } from '../browser/chromium.js';
import { serve } from '../browser/server.js';

export function useBrowser() {
  const browser = { server: null, context: null, profile: null };
  beforeAll(async () => {
    browser.server = await serve();
    browser.profile = newProfileDir();
    browser.context = await launchProfile(browser.profile);
  });
  afterAll(async () => {
    await browser.context?.close();
    await browser.server?.close();
    if (browser.profile) fs.rmSync(browser.profile, { recursive: true, force: true });
  });
  return browser;
}
