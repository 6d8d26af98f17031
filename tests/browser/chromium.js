// Launches Debian's Chromium through playwright-core (no browser download).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * A browser with a profile directory that survives close (for restarts);
 * `args` are added to the usual flags.
 */
export async function launchProfile(profileDir, { args = [] } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup.sh (it installs Debian's chromium)`);
  }
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: [...ARGS, ...args], headless: true });
}

export function newProfileDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pmap-chromium-'));
}
