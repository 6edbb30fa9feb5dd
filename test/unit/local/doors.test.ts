import { describe, expect, it } from 'vitest';
import { dynamoDbLocalArgs, NO_BROWSER_ORIGIN } from '../../../local/dynamodb.js';
import { MIN_TOKEN_LENGTH, tokensFromEnvironment } from '../../../local/environment.js';
import { BODY_LIMITS, declaresMoreThan, isLoopbackHost } from '../../../local/http-server.js';

describe('Function: tokensFromEnvironment', () => {
  const long = 'a'.repeat(MIN_TOKEN_LENGTH);

  it('takes tokens of 32 characters or more, and leaves unset ones to be generated', () => {
    expect(tokensFromEnvironment({ PROVISIONING_SERVICE_TOKEN: long })).toEqual({ service: long });
    expect(tokensFromEnvironment({ PROVISIONING_OPERATOR_TOKEN: `${long}b` })).toEqual({ operator: `${long}b` });
    expect(tokensFromEnvironment({})).toEqual({});
  });

  it('refuses a shorter token with one line naming the variable and the minimum', () => {
    const act = () => tokensFromEnvironment({ PROVISIONING_SERVICE_TOKEN: long, PROVISIONING_OPERATOR_TOKEN: 'a'.repeat(31) });
    expect(act).toThrow(/^PROVISIONING_OPERATOR_TOKEN is 31 characters long; tokens must have at least 32/);
    expect(() => tokensFromEnvironment({ PROVISIONING_OPERATOR_TOKEN: 'a'.repeat(31) })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('\n') }));
  });
});

describe('Function: isLoopbackHost', () => {
  it.each(['127.0.0.1:3000', '127.0.0.1', 'localhost:3000', 'LOCALHOST', 'app.localhost:8080', '[::1]:3000', '127.1.2.3:80'])('accepts %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([undefined, '', 'rebound.example:3000', '127.0.0.1.evil.example', 'localhost.evil.example', '10.0.0.5:3000', '[::2]:3000'])('refuses %s', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it('accepts the address the runtime was told to listen on', () => {
    expect(isLoopbackHost('192.168.1.20:3000', '192.168.1.20')).toBe(true);
    expect(isLoopbackHost('192.168.1.21:3000', '192.168.1.20')).toBe(false);
  });
});

describe('Function: declaresMoreThan', () => {
  it('reads the declared Content-Length against the limit', () => {
    expect(declaresMoreThan({ headers: { 'content-length': String(BODY_LIMITS.service + 1) } }, BODY_LIMITS.service)).toBe(true);
    expect(declaresMoreThan({ headers: { 'content-length': String(BODY_LIMITS.service) } }, BODY_LIMITS.service)).toBe(false);
    expect(declaresMoreThan({ headers: {} }, 0)).toBe(false);
    expect(declaresMoreThan({ headers: { 'content-length': '1' } }, BODY_LIMITS.public)).toBe(true);
  });
});

describe('Function: dynamoDbLocalArgs', () => {
  it('turns telemetry off and allows one browser origin instead of *', () => {
    expect(dynamoDbLocalArgs('http://127.0.0.1:3000')).toEqual(['-disableTelemetry', '-cors', 'http://127.0.0.1:3000']);
    expect(dynamoDbLocalArgs()).toEqual(['-disableTelemetry', '-cors', NO_BROWSER_ORIGIN]);
  });
});
