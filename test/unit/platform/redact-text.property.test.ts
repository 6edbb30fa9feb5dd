/**
 * redactText against every credential shape it knows, wherever the credential sits — including
 * across the MAX_STRING_CHARS cut — and the shape of its patterns (linear time, reviewed by a test
 * rather than by a timer).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GITLAB_TOKEN_PREFIXES, MAX_STRING_CHARS, TEXT_PATTERNS, redactText } from '../../../shared/platform/redact.js';

/** Filler text uses none of the characters of a secret's value (upper case, digits) nor of its prefixes. */
const FILLER = fc.string({ unit: fc.constantFrom('q', 'u', 'v', 'y', 'z', 'h', ' ', '.', ',', '!', '\n'), maxLength: 6_000 });
const upperDigits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'), minLength: min, maxLength: max });

/** A credential: `label` is kept by design (it names what was there), `secret` must not survive. */
interface Shape {
  label: string;
  secret: string;
}
const shapes: fc.Arbitrary<Shape>[] = [
  upperDigits(16, 16).map((s) => ({ label: '', secret: `ASIA${s}` })),
  upperDigits(16, 16).map((s) => ({ label: '', secret: `AKIA${s}` })),
  fc.tuple(fc.constantFrom(...GITLAB_TOKEN_PREFIXES), upperDigits(20, 60)).map(([p, s]) => ({ label: '', secret: `${p}-${s}` })),
  upperDigits(20, 40).map((s) => ({ label: '', secret: `GR1348941${s}` })),
  fc.tuple(fc.constantFrom('a', 'b', 'p', 'o', 's', 'r'), upperDigits(10, 50)).map(([k, s]) => ({ label: '', secret: `xox${k}-${s}` })),
  upperDigits(10, 50).map((s) => ({ label: '', secret: `xapp-1-${s}` })),
  upperDigits(8, 80).map((s) => ({ label: '', secret: `Basic ${s}==` })),
  upperDigits(8, 200).map((s) => ({ label: '', secret: `Bearer ${s}` })),
  fc.tuple(upperDigits(5, 200), upperDigits(5, 600), upperDigits(0, 100)).map(([a, b, c]) => ({ label: '', secret: `eyJ${a}.${b}.${c}` })),
  upperDigits(16, 300).map((s) => ({ label: 'Authorization: ', secret: s })),
  upperDigits(16, 300).map((s) => ({ label: 'authorization=', secret: s })),
  upperDigits(4, 300).map((s) => ({ label: 'https://api.example.com/v1/x?access_token=', secret: s })),
  upperDigits(4, 300).map((s) => ({ label: 'https://api.example.com/v1/x?page=2&token=', secret: s })),
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789+/'), minLength: 40, maxLength: 40 }).map((s) => ({ label: 'aws_secret_access_key = ', secret: s })),
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789+/'), minLength: 40, maxLength: 40 }).map((s) => ({ label: '"SecretAccessKey": ', secret: `"${s}"` })),
];

/** Longest run of the secret allowed in the output: shorter than any secret's distinctive part. */
const N = 3;
const leaked = (output: string, secret: string): string | undefined => {
  for (let i = 0; i + N < secret.length; i++) {
    const piece = secret.slice(i, i + N + 1);
    if (output.includes(piece)) return piece;
  }
  return undefined;
};

describe('Function: redactText (properties)', () => {
  it('keeps no piece longer than N characters of any credential, wherever it sits, across the cut too', () => {
    fc.assert(
      fc.property(FILLER, FILLER, fc.oneof(...shapes), (before, after, { label, secret }) => {
        const out = redactText(`${before} ${label}${secret} ${after}`);
        expect(leaked(out, secret)).toBeUndefined();
        expect(out.length).toBeLessThanOrEqual(MAX_STRING_CHARS + '…[cut]'.length);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps no piece of a credential that starts just before the cut and ends after it', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_STRING_CHARS - 320, max: MAX_STRING_CHARS + 5 }), fc.oneof(...shapes), FILLER, (at, { label, secret }, after) => {
        const out = redactText(`${'q'.repeat(Math.max(0, at - label.length - 1))} ${label}${secret} ${after}`);
        expect(leaked(out, secret)).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });

  it('leaves text without credentials as it was (up to the cut)', () => {
    fc.assert(
      fc.property(FILLER, (text) => {
        expect(redactText(text)).toBe(text.length > MAX_STRING_CHARS ? `${text.slice(0, MAX_STRING_CHARS)}…[cut]` : text);
      }),
    );
  });
});

describe('Function: redactText (examples)', () => {
  it.each([
    ['an STS temporary key', 'assumed role key ASIAQWERTYUIOPASDFGH expired', 'ASIAQWERTY'],
    ['a deploy token', 'clone with gldt-abcdefghij1234567890 failed', 'gldt-abc'],
    ['a runner token', 'runner glrt-t1_abcdefghij12345 offline', 'glrt-t1'],
    ['an instance-prefixed PAT', 'token acme-glpat-abcdefghij1234567890', 'glpat-abc'],
    ['a runner registration token', 'register GR1348941abcdefghijklmnop', 'GR1348941'],
    ['a Slack bot token', 'slack said invalid_auth for xoxb-1234-5678-abcdefgh', 'xoxb-'],
    ['a Slack app token', 'xapp-1-A0123-456-abcdef socket', 'xapp-1'],
    ['Basic credentials', 'sent Authorization header Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpw'],
    ['Basic credentials, all letters', 'retry with Basic dXNlcjpwYXNz', 'dXNlcjpw'],
    ['a raw token after Authorization', 'Authorization: 0123456789abcdefghijkl rejected', '0123456789abcdef'],
    ['an access_token in a URL', 'GET https://zuora.example/v1/x?access_token=abc123&limit=1 failed', 'abc123'],
    ['a token in a URL', 'GET https://x.example/hook?token=s3cr3t', 's3cr3t'],
    ['a secret access key', 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI'],
    ['a secret access key in JSON text', '{"AccessKeyId":"ASIAX","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}', 'wJalrXUtnFEMI'],
    ['a password with spaces in JSON text', 'body {"password": "correct horse battery"}', 'horse'],
    ['a presigned URL', 'GET https://b.s3.amazonaws.com/k?X-Amz-Credential=ASIAX%2F2026&X-Amz-Security-Token=IQoJb3JpZ2lu&X-Amz-Signature=abcdef0123 403', 'IQoJb3JpZ2lu'],
  ])('replaces %s', (_, text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('keeps prose that only looks like a credential name', () => {
    for (const text of ['Basic information is missing', 'the token expired', 'Authorization failed for namespace 42', 'tokens: 5 left']) {
      expect(redactText(text)).toBe(text);
    }
  });

  it('keeps the name of what it replaced', () => {
    expect(redactText('GET /x?access_token=abc&page=2')).toBe('GET /x?access_token=[redacted]&page=2');
    expect(redactText('Authorization: Bearer abcdefghijkl')).toBe('Authorization: [redacted]');
  });

  it('replaces a credential that straddles the cut, instead of keeping its head', () => {
    const token = `glpat-${'A'.repeat(30)}`;
    const out = redactText(`${'q'.repeat(MAX_STRING_CHARS - 8)} ${token}`);
    expect(out).not.toContain('glpat');
    expect(out).not.toContain('AAAA');
  });
});

/**
 * The shape review, as a test: a quantified group holds no unbounded quantifier, and a group with
 * an unbounded quantifier holds no quantifier at all — the nested-quantifier shapes that backtrack
 * catastrophically ((a+)+, (a|a?)*) cannot be written.
 */
function nestedQuantifiers(source: string): string[] {
  const problems: string[] = [];
  const stack: { start: number; inner: 'none' | 'bounded' | 'unbounded' }[] = [];
  const quantifierAt = (i: number): { kind: 'none' | 'bounded' | 'unbounded'; length: number } => {
    const c = source[i];
    if (c === '*' || c === '+') return { kind: 'unbounded', length: 1 };
    if (c === '?') return { kind: 'bounded', length: 1 };
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
    if (!m) return { kind: 'none', length: 0 };
    return { kind: m[2] && m[3] === '' ? 'unbounded' : 'bounded', length: m[0].length };
  };
  const mark = (kind: 'bounded' | 'unbounded') => {
    const top = stack.at(-1);
    if (top && (top.inner === 'none' || kind === 'unbounded')) top.inner = kind;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      while (source[++i] !== ']') if (source[i] === '\\') i++;
    } else if (c === '(') {
      stack.push({ start: i, inner: 'none' });
      continue;
    } else if (c === ')') {
      const group = stack.pop()!;
      const q = quantifierAt(i + 1);
      const nested = (q.kind !== 'none' && group.inner === 'unbounded') || (q.kind === 'unbounded' && group.inner !== 'none');
      if (nested) problems.push(source.slice(group.start, i + 1 + q.length));
      if (group.inner !== 'none') mark(group.inner);
      if (q.kind !== 'none') mark(q.kind);
      i += q.length;
      continue;
    } else if ('*+?{'.includes(c!)) {
      continue;
    }
    const q = quantifierAt(i + 1);
    if (q.kind !== 'none') {
      mark(q.kind);
      i += q.length;
    }
  }
  return problems;
}

describe('The patterns of redactText', () => {
  it('have no nested quantifiers (linear time by construction)', () => {
    expect(nestedQuantifiers('(a+)+')).toEqual(['(a+)+']);
    expect(nestedQuantifiers('(?:a|b)*c{1,3}')).toEqual([]);
    for (const pattern of TEXT_PATTERNS) expect(nestedQuantifiers(pattern.source), pattern.source).toEqual([]);
  });

  // A smoke test only (no timing asserted): 1 MB adversarial inputs finish within vitest's timeout.
  it.each([
    ['emails without a domain', `${'a'.repeat(63)}@`.repeat(16_384)],
    ['dots before an at', `${'a.'.repeat(500_000)}@${'b'.repeat(100)}`],
    ['at signs only', '@'.repeat(1_000_000)],
    ['emails, all of them', 'jane.doe@example.com '.repeat(50_000)],
    ['an endless domain', `a@${'b-'.repeat(500_000)}`],
    ['named values without an end', `token="${'\\a'.repeat(500_000)}`],
    ['prefixes without a body', 'glpat- xoxb- Basic Bearer eyJ '.repeat(34_000)],
    ['a word run after Basic', `Basic ${'a'.repeat(1_000_000)}`],
  ])('finish on 1 MB of %s, cut to the bound', (_, text) => {
    expect(redactText(text).length).toBeLessThanOrEqual(MAX_STRING_CHARS + 10);
  });
});

describe('Function: redactText (emails)', () => {
  it('replaces every email, adjacent ones too, and keeps what is not one', () => {
    expect(redactText('a@b.co,c.d+e@mail.example.org; x@y')).toBe('[email],[email]; x@y');
    expect(redactText('@@ a@ @b.com user@localhost')).toBe('@@ a@ @b.com user@localhost');
    expect(redactText(`${'x'.repeat(70)}@example.com`)).toBe(`${'x'.repeat(6)}[email]`);
  });
});
