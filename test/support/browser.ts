/**
 * A real headless Chromium for the console's tests: Debian's `chromium` (or the executable named by
 * CHROMIUM_PATH), driven by playwright-core, which downloads nothing. Where no Chromium is installed
 * the browser tests skip with a message saying so, except in CI, where `.ci/run` installs it and its
 * absence is a failure.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium executable to drive, or undefined when the machine has none. */
export function chromiumPath(): string | undefined {
  const named = process.env.CHROMIUM_PATH;
  if (named) {
    if (!existsSync(named)) throw new Error(`CHROMIUM_PATH names ${named}, which does not exist`);
    return named;
  }
  return CANDIDATES.find((path) => existsSync(path));
}

/** Why the browser tests cannot run here, or undefined when they can; in CI a missing browser fails. */
export function browserMissing(): string | undefined {
  if (chromiumPath()) return undefined;
  const message = `no Chromium found (${CANDIDATES.join(', ')}; or set CHROMIUM_PATH): install it with \`apt-get install -y chromium\``;
  if (process.env.CI) throw new Error(`${message}; CI must have it (.ci/run installs it)`);
  console.warn(`Skipping the console's browser tests: ${message}`);
  return message;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath()!,
    // Root in CI containers cannot use Chromium's sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** A page that records what its console and its scripts complain about. */
export interface WatchedPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions, in order. */
  readonly errors: string[];
}

export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return { page, errors };
}
