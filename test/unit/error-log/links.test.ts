import { describe, expect, it } from 'vitest';
import { parseLinkTemplates, subjectLinks } from '../../../shared/error-log/domain/links.js';

const templates = parseLinkTemplates(
  JSON.stringify({
    zuora_account: 'https://zuora.example.com/accounts/{subject}',
    salesforce_object: 'https://x.lightning.force.com/{subject}',
    namespace: '{adminBaseUrl}/admin#/namespaces/{subject}',
  }),
);

describe('Function: parseLinkTemplates', () => {
  it('reads nothing from an unset or blank value', () => {
    expect(parseLinkTemplates(undefined)).toEqual({});
    expect(parseLinkTemplates('  ')).toEqual({});
  });

  it.each([
    ['[]', /JSON object/],
    ['{"zuora_account": 3}', /URL template/],
    ['{"zuora_account": "https://z.example/accounts"}', /must contain \{subject\}/],
    ['{"zuora_account": "javascript:alert({subject})"}', /https URL/],
    ['{"zuora_account": "{subject}"}', /not a URL|https URL/],
    ['{"zuora_account": "https://z.example/{subject}/{adminBaseUrl}{other}"}', /\{other\} is not a placeholder/],
  ])('refuses %s', (text, message) => {
    expect(() => parseLinkTemplates(text)).toThrow(message);
  });
});

describe('Function: subjectLinks', () => {
  it("fills the subjectKind's template with the subject URL-encoded", () => {
    expect(subjectLinks(templates, { subject: 'A-1/ü ?#', subjectKind: 'zuora_account' })).toEqual([
      { kind: 'zuora_account', url: 'https://zuora.example.com/accounts/A-1%2F%C3%BC%20%3F%23' },
    ]);
  });

  it('uses the admin base URL, and shows no admin link without one', () => {
    expect(subjectLinks(templates, { subject: '42', subjectKind: 'namespace' }, 'https://admin.example.com/')).toEqual([
      { kind: 'namespace', url: 'https://admin.example.com/admin#/namespaces/42' },
    ]);
    expect(subjectLinks(templates, { subject: '42', subjectKind: 'namespace' })).toEqual([]);
  });

  it('shows nothing without a subjectKind, a template, or when the link would be over 2 KB', () => {
    expect(subjectLinks(templates, { subject: 'x', subjectKind: null })).toEqual([]);
    expect(subjectLinks(templates, { subject: 'x', subjectKind: 'order' })).toEqual([]);
    expect(subjectLinks(templates, { subject: 'ü'.repeat(400), subjectKind: 'zuora_account' })).toEqual([]);
  });
});
