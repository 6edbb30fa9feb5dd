/**
 * Text from reports goes out inert: in Slack (errorMessage) and in GitLab (renderDigestIssue) it
 * pings no one, references nothing and links nowhere — hostile examples, and properties over any
 * text: outside the code spans that hold it, none of it is left; inside them, nothing can end the span.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorMessage, inertText } from '../../../shared/error-log/slack.js';
import { codeSpan, digestPeriod, renderDigestIssue, selectDigest } from '../../../shared/error-log/domain/digest.js';
import type { DigestEntry } from '../../../shared/error-log/domain/digest.js';

const HOSTILE = [
  '@here @channel @everyone @all <!here> <!channel> <!everyone>',
  '<@U024BE7LH> <!subteam^SAZ94GDB8> <#C024BE7LR|general> #general',
  'see <https://evil.example|the admin page> and https://evil.example/login www.evil.example evil.example',
  '`closing` ``double`` ```fence```',
  'ping @jane.doe, close #123 !45 %"release 1" ~bug ~"label x" $17 &8 group/project#9 jane/proj!3',
  '[your admin page](https://evil.example) ![img](https://evil.example/x.png) <img src=x onerror=alert(1)> <script>alert(1)</script>',
  'line one\n# heading\n- item\n> quote\n| a | b |',
  '*bold* _it_ ~strike~ &amp; &lt;b&gt; \\`',
];

/** What an untrusted piece may not show outside a code span, in Slack or GitLab. */
const ACTIVE = [
  /@\w/, // a mention
  /<[!@#a-z/]/i, // a Slack control sequence or HTML
  /\b(?:https?|ftp):\/\//i, // a URL
  /\bwww\./i,
  /[#!%~$&]["\w]/, // a GitLab reference
  /\]\(/, // a Markdown link
];
const outsideCode = (text: string): string => text.replace(/`[^`\n]*`/g, '');
const HOSTILE_PIECES = fc.stringMatching(/^[a-z @#!%~$&<>`[\]()|*_\\/:.\n"^-]{0,80}$/);
const ANY_TEXT = fc.oneof(HOSTILE_PIECES, fc.constantFrom(...HOSTILE), fc.string({ maxLength: 200 }));

const record = (message: string, subject: string, code = 'VALIDATION_ERROR') => ({ id: 'err_0123456789abcdef01234567', code, message, subject, source: 'http' as const, occurrences: 1 });

describe('Function: inertText (Slack)', () => {
  it.each(HOSTILE)('leaves nothing active in %j', (text) => {
    const out = inertText(text, 500);
    for (const pattern of ACTIVE) expect(outsideCode(out)).not.toMatch(pattern);
    expect(out).not.toMatch(/[<>]/);
    expect(out).not.toMatch(/@\w/);
    expect(out.split('`')).toHaveLength(3); // one span, nothing inside can close it
  });

  it('still reads as the text, on one line', () => {
    expect(inertText('Subscription A-S1: update failed\n  (Zuora 503)', 500)).toBe('`Subscription A-S1: update failed (Zuora 503)`');
    expect(inertText('  ', 500)).toBe('_none_');
    expect(inertText('x'.repeat(600), 500)).toBe(`\`${'x'.repeat(499)}…\``);
  });

  it('makes a whole message inert whatever its code, message and subject (property)', () => {
    fc.assert(
      fc.property(ANY_TEXT, ANY_TEXT, ANY_TEXT, (message, subject, code) => {
        const text = errorMessage(record(message, subject, code), { adminBaseUrl: undefined, reopened: false }).text ?? '';
        for (const pattern of ACTIVE) expect(outsideCode(text)).not.toMatch(pattern);
        expect(text).not.toMatch(/[<>]|@\w/);
        // Every line's backticks pair up: no span is left open to swallow the next line.
        for (const line of text.split('\n')) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

const entry = (id: string, subject: string, message: string, code = 'c'): Omit<DigestEntry, 'reason'> => ({
  id,
  code,
  subject,
  message,
  status: 'open',
  occurrences: 1,
  firstSeenAt: '2026-03-01T10:00:00.000Z',
  lastSeenAt: '2026-03-01T10:00:00.000Z',
  createdAt: '2026-03-01T10:00:00.000Z',
  gitlabIssueLink: null,
});

describe('Function: codeSpan and the digest issue (GitLab)', () => {
  const period = digestPeriod('daily', '2026-03-02');

  it.each(HOSTILE)('leaves nothing active in %j', (text) => {
    const { description } = renderDigestIssue({ job: 'daily-digest', period, groups: selectDigest([entry('e1', text, text, text)], period), adminBaseUrl: undefined });
    for (const pattern of ACTIVE) expect(outsideCode(description.replace(/<!-- digest:[^>]* -->$/, ''))).not.toMatch(pattern);
  });

  it('reads as the text', () => {
    expect(codeSpan('Zuora said: `account` not found\n(retry)')).toBe('`Zuora said: ˋaccountˋ not found (retry)`');
    expect(codeSpan('')).toBe('(none)');
  });

  it('renders any subject, message and code inert (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(ANY_TEXT, ANY_TEXT, ANY_TEXT), { minLength: 1, maxLength: 4 }), (rows) => {
        const records = rows.map(([subject, message, code], i) => entry(`e${i}`, subject, message, code));
        const { description } = renderDigestIssue({ job: 'daily-digest', period, groups: selectDigest(records, period), adminBaseUrl: undefined });
        const template = outsideCode(description.replace(/<!-- digest:[^>]* -->$/, ''));
        for (const pattern of ACTIVE) expect(template).not.toMatch(pattern);
        for (const line of description.split('\n')) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
