import { describe, expect, it } from 'vitest';
import { freeText, isCleanText, operatorNote, visibleLength } from '../../../shared/platform/schemas.js';
import { reassociationBody } from '../../../shared/reassociation/schemas.js';
import { actorsBytes, flagChangeBody, MAX_ACTORS_BYTES } from '../../../shared/flags/schemas.js';

describe('Function: visibleLength', () => {
  it('counts neither spaces, nor zero-width, format or control characters', () => {
    expect(visibleLength('broken link')).toBe(10);
    expect(visibleLength('\u200B'.repeat(20))).toBe(0);
    expect(visibleLength('a\u200Cb\u200Dc\u2060d\uFEFFe\u00ADf\u0007g\u202Eh')).toBe(8);
  });
});

describe('Function: isCleanText', () => {
  it('keeps newlines and tabs (Markdown) and refuses bidi overrides and other control characters', () => {
    expect(isCleanText('# Runbook\n\n\t1. restart')).toBe(true);
    for (const bad of ['\u202E', '\u202A', '\u2066', '\u2069', '\u0000', '\u0007', '\r', '\u001B[31m', '\u007F', '\u0085']) {
      expect(isCleanText(`text ${bad} more`), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('Schema: operatorNote', () => {
  it('needs 10 visible characters: ten zero-width spaces and padding do not count', () => {
    expect(operatorNote.safeParse('reseller moved it').success).toBe(true);
    expect(operatorNote.safeParse(`${'\u200B'.repeat(30)}abc`).success).toBe(false);
    expect(operatorNote.safeParse('a         b').success).toBe(false);
  });

  it('refuses a note that reads differently than it is (bidi override)', () => {
    expect(operatorNote.safeParse('approved by \u202Eregnam\u202C the manager').success).toBe(false);
  });

  it('is what the reassociation body takes', () => {
    const body = { eventId: 'e-1', targetNamespaceId: 7, reason: 'other' };
    expect(reassociationBody.safeParse({ ...body, note: '\u200B'.repeat(12) }).success).toBe(false);
    expect(reassociationBody.safeParse({ ...body, note: 'customer asked twice' }).success).toBe(true);
  });
});

describe('Function: freeText', () => {
  it('keeps a Markdown runbook its newlines, within its maximum', () => {
    const runbook = freeText({ max: 50, describe: 'A runbook' });
    expect(runbook.parse('# Steps\n\n1. check\n2. retry')).toBe('# Steps\n\n1. check\n2. retry');
    expect(runbook.safeParse('x'.repeat(51)).success).toBe(false);
  });
});

describe('Schema: flagChangeBody actors', () => {
  it('bounds the actor list so that a history item (two lists) stays under 400 KB', () => {
    const wide = Array.from({ length: 1000 }, (_, i) => `${'界'.repeat(250)}${i}`);
    expect(actorsBytes(wide) * 2).toBeGreaterThan(400 * 1024);
    expect(flagChangeBody.safeParse({ actors: wide }).success).toBe(false);
    const fits = Array.from({ length: 1000 }, (_, i) => `customer-${i}`);
    expect(actorsBytes(fits)).toBeLessThanOrEqual(MAX_ACTORS_BYTES);
    expect(flagChangeBody.safeParse({ actors: fits }).success).toBe(true);
  });

  it('refuses an actor id with a control character or a bidi override', () => {
    expect(flagChangeBody.safeParse({ actors: ['ok', 'bad\u202E'] }).success).toBe(false);
    expect(flagChangeBody.safeParse({ actors: ['bad\u0000'] }).success).toBe(false);
  });
});
