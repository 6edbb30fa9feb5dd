import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_CHANGES,
  MAX_LINK_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_TRACE_BYTES,
  boundTrace,
  boundedPayload,
  cutToBytes,
  itemBytes,
  utf8Bytes,
} from '../../../shared/error-log/domain/bounds.js';
import { errorPatchBody } from '../../../shared/error-log/domain/record.js';
import { isOlderThanResolution } from '../../../shared/error-log/domain/replay.js';

describe('Function: cutToBytes', () => {
  it('keeps text that fits, cuts the rest on a character boundary with an ellipsis', () => {
    expect(cutToBytes('Zürich', 10)).toBe('Zürich');
    expect(cutToBytes('Zürich', 5)).toBe('Z…');
    expect(cutToBytes('😀😀😀', 9)).toBe('😀…');
  });

  it('never answers more than the budget, nor a broken character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 4, max: 600 }), (text, max) => {
        const cut = cutToBytes(text, max);
        expect(utf8Bytes(cut)).toBeLessThanOrEqual(Math.max(max, 0));
        expect(cut).toBe(Buffer.from(cut, 'utf8').toString('utf8'));
        if (utf8Bytes(text) <= max) expect(cut).toBe(text);
      }),
    );
  });
});

describe('Function: boundTrace', () => {
  it('keeps at most 8,000 bytes of backtrace, whatever the script', () => {
    const trace = boundTrace(Array.from({ length: 50 }, () => '語'.repeat(1000)));
    expect(trace.reduce((sum, line) => sum + utf8Bytes(line), 0)).toBeLessThanOrEqual(MAX_TRACE_BYTES);
  });
});

describe('Function: boundedPayload', () => {
  it('keeps a small payload, redacted', () => {
    expect(boundedPayload({ subscriptionId: 'A-1', email: 'a@b.example' })).toEqual({ subscriptionId: 'A-1', email: '[redacted]' });
  });

  it('replaces a payload over 16 KB of UTF-8 (but under 16,000 characters) by a bounded preview', () => {
    const stored = boundedPayload({ a: 'é'.repeat(3_000), b: 'é'.repeat(3_000), c: 'é'.repeat(3_000) }) as { truncated: boolean; bytes: number; preview: string };
    expect(stored).toMatchObject({ truncated: true });
    expect(utf8Bytes(JSON.stringify(stored))).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });
});

describe('Function: itemBytes', () => {
  it('counts names and UTF-8 values', () => {
    expect(itemBytes({ ab: 'é' })).toBe(3 + 1 + 2 + 2);
  });
});

describe('Schema: errorPatchBody gitlabIssueLink', () => {
  it(`refuses a link over ${MAX_LINK_BYTES} bytes even when it is few characters`, () => {
    const link = `https://gitlab.example.com/${'語'.repeat(700)}`;
    const parsed = errorPatchBody.safeParse({ gitlabIssueLink: link });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['gitlabIssueLink']);
    expect(errorPatchBody.safeParse({ gitlabIssueLink: 'https://gitlab.example.com/group/project/-/issues/42' }).success).toBe(true);
  });

  it('keeps the change log bound below what a record holds', () => {
    expect(MAX_CHANGES).toBeLessThanOrEqual(100);
  });
});

describe('Function: isOlderThanResolution', () => {
  it('takes a failure before the resolution as covered by it, one in the same second or later as new', () => {
    expect(isOlderThanResolution('2026-03-01T08:00:00.000Z', '2026-03-02T10:00:00.123Z')).toBe(true);
    expect(isOlderThanResolution('2026-03-02T10:00:00.000Z', '2026-03-02T10:00:00.123Z')).toBe(false);
    expect(isOlderThanResolution('2026-03-02T10:00:01.000Z', '2026-03-02T10:00:00.123Z')).toBe(false);
  });
});
