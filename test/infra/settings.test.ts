/**
 * The stack's settings from the `provisioning:*` context: what the functions would refuse at their
 * first request is refused at synth, before a deploy. No stack is built here.
 */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { settingsFromContext } from '../../infra/provisioning-stack.js';

const app = (context: Record<string, unknown>) => new App({ context });

describe('Function: settingsFromContext', () => {
  it('accepts the default context', () => {
    expect(settingsFromContext(app({})).jwtAudience).not.toBe('');
  });

  it('accepts a plan catalog given as text or as JSON', () => {
    const catalog = { free: ['free'], trial: ['gold_trial'], paid: ['gold', 'enterprise'] };
    expect(() => settingsFromContext(app({ 'provisioning:planCatalog': JSON.stringify(catalog) }))).not.toThrow();
    expect(() => settingsFromContext(app({ 'provisioning:planCatalog': catalog }))).not.toThrow();
  });

  it.each([
    ['not JSON', '{free: gold}', /provisioning:planCatalog: PLAN_CATALOG is not JSON/],
    ['a code in two kinds', '{"free":["free"],"trial":["gold"],"paid":["gold"]}', /lists gold in more than one kind/],
    ['no paid plan', '{"free":["free"],"trial":[],"paid":[]}', /at least one paid and one free plan/],
  ])('refuses a plan catalog that is %s, saying what is wrong', (_, catalog, message) => {
    expect(() => settingsFromContext(app({ 'provisioning:planCatalog': catalog }))).toThrow(message);
  });

  it('accepts subject link templates given as text or as JSON', () => {
    const links = { zuora_account: 'https://zuora.example.com/accounts/{subject}', namespace: '{adminBaseUrl}/admin#/namespaces/{subject}' };
    expect(() => settingsFromContext(app({ 'provisioning:errorLogSubjectLinks': JSON.stringify(links) }))).not.toThrow();
    expect(() => settingsFromContext(app({ 'provisioning:errorLogSubjectLinks': links }))).not.toThrow();
  });

  it.each([
    ['not JSON', '{zuora}', /provisioning:errorLogSubjectLinks: ERROR_LOG_SUBJECT_LINKS is not JSON/],
    ['for an unknown kind', '{"invoice":"https://x.example/{subject}"}', /"invoice" is not a subjectKind/],
    ['plain http', '{"order":"http://x.example/{subject}"}', /must be an https URL/],
    ['with another placeholder', '{"order":"https://x.example/{id}"}', /\{id\} is not a placeholder/],
  ])('refuses subject link templates %s, saying what is wrong', (_, links, message) => {
    expect(() => settingsFromContext(app({ 'provisioning:errorLogSubjectLinks': links }))).toThrow(message);
  });

  it('refuses a JWT issuer that is not https', () => {
    expect(() => settingsFromContext(app({ 'provisioning:jwtIssuer': 'http://example.com' }))).toThrow(/must be an https URL/);
  });

  it('takes the operator scopes from context, as JSON or text, and refuses a missing, shared or spaced one', () => {
    const scopes = { viewer: 'ops/read', support: 'ops/support', admin: 'ops/admin' };
    expect(settingsFromContext(app({ 'provisioning:operatorScopes': scopes })).operatorScopes).toEqual(scopes);
    expect(settingsFromContext(app({ 'provisioning:operatorScopes': JSON.stringify(scopes) })).operatorScopes).toEqual(scopes);
    for (const bad of [{ viewer: 'a', support: 'b' }, { viewer: 'a', support: 'a', admin: 'c' }, { viewer: 'a b', support: 'b', admin: 'c' }]) {
      expect(() => settingsFromContext(app({ 'provisioning:operatorScopes': bad })), JSON.stringify(bad)).toThrow(/provisioning:operatorScopes must give each of viewer, support, admin its own scope/);
    }
  });

  it('defaults to an issuer that is a placeholder, not a Git CI issuer', () => {
    expect(settingsFromContext(app({})).jwtIssuer).toMatch(/\.invalid$/);
  });
});
