/**
 * The one zod import of the service: `zod/mini` with zod's English messages.
 *
 * `zod/mini` is zod 4 with the same parser, issues and JSON Schema output as `zod`, written as
 * functions (`z.optional(s)`, `s.check(z.maxLength(9))`) so that a bundle carries only what it uses:
 * a lifecycle function's zod share fell from 93 KB to about 20 KB (`npm run bench`, issue 5). The
 * classic build loads its English locale itself; here it is loaded once, below, so every message a
 * caller reads ("Too small: expected string to have >=1 characters") is the one zod documents.
 *
 *   import * as z from '../zod.js';
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
