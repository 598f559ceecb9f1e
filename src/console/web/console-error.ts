/**
 * What the console's page cannot go on without (an element, a canvas, a laid-out graph). The page is
 * built for the browser and imports no runtime code from the library, so its failures have a class
 * of their own rather than the library's TributaryError.
 */
export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
}
