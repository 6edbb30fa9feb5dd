/**
 * The OpenFeature provider of the service's flags: gates read from the flags table, evaluated with
 * the pure rule of shared/flags/domain.ts, the OpenFeature `targetingKey` as the actor id. Call
 * sites only know OpenFeature, so another flag service can replace this provider without touching
 * them.
 *
 * Each process keeps a flag for {@link DEFAULT_CACHE_TTL_SECONDS} seconds (`FLAGS_CACHE_TTL_SECONDS`
 * overrides it): a change — a rollback included — takes effect everywhere within that time, and a
 * busy function reads each flag at most once per period.
 */
import { FlagNotFoundError, GeneralError, OpenFeature, StandardResolutionReasons, TypeMismatchError } from '@openfeature/server-sdk';
import type { EvaluationContext, JsonValue, Logger as OpenFeatureLogger, Provider, ResolutionDetails } from '@openfeature/server-sdk';
import { anyGateOpen, evaluateFlag } from './domain.js';
import type { Flag } from './domain.js';
import { logger } from '../platform/log.js';
import { getFlag } from './store.js';

/** How long a process trusts what it read: the longest a flag change (or a rollback) takes to apply. */
export const DEFAULT_CACHE_TTL_SECONDS = 30;
export const CACHE_TTL_ENV = 'FLAGS_CACHE_TTL_SECONDS';

export const PROVIDER_NAME = 'provisioning-flags-dynamodb';

export interface FlagProviderOptions {
  /** Default: `FLAGS_CACHE_TTL_SECONDS` from the environment, else 30 s. 0 reads the table on every evaluation. */
  cacheTtlMs?: number;
  /** Where flags come from; default the flags table. */
  load?: (name: string) => Promise<Flag | null>;
  now?: () => number;
}

/** The cache length this process uses: the environment's, when it is a whole number of seconds. */
export function cacheTtlMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[CACHE_TTL_ENV];
  if (raw !== undefined && /^\d{1,5}$/.test(raw)) return Number(raw) * 1000;
  return DEFAULT_CACHE_TTL_SECONDS * 1000;
}

interface CacheEntry {
  flag: Flag | null;
  fetchedAt: number;
}

/**
 * Boolean flags from DynamoDB for OpenFeature.
 *
 * @example
 * OpenFeature.setProvider(new DynamoDbFlagProvider());
 * const on = await OpenFeature.getClient().getBooleanValue('account_data_persistence', false, { targetingKey: customerId });
 */
export class DynamoDbFlagProvider implements Provider {
  readonly metadata = { name: PROVIDER_NAME } as const;
  readonly runsOn = 'server' as const;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<Flag | null>>();
  private readonly ttlMs: number;
  private readonly load: (name: string) => Promise<Flag | null>;
  private readonly now: () => number;

  constructor(options: FlagProviderOptions = {}) {
    this.ttlMs = options.cacheTtlMs ?? cacheTtlMsFromEnv();
    this.load = options.load ?? ((name) => getFlag(name));
    this.now = options.now ?? Date.now;
  }

  async resolveBooleanEvaluation(flagKey: string, _defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    const { flag, cached } = await this.lookup(flagKey);
    if (!flag) throw new FlagNotFoundError(`Flag ${flagKey} does not exist: create it with PUT /v1/flags/${flagKey}.`);
    const result = evaluateFlag(flagKey, flag, context.targetingKey);
    return {
      value: result.enabled,
      variant: result.enabled ? 'on' : 'off',
      reason: !result.enabled
        ? anyGateOpen(flag) ? StandardResolutionReasons.DEFAULT : StandardResolutionReasons.DISABLED
        : result.gate === 'boolean'
          ? StandardResolutionReasons.STATIC
          : result.gate === 'actor'
            ? StandardResolutionReasons.TARGETING_MATCH
            : StandardResolutionReasons.SPLIT,
      flagMetadata: { version: flag.version, gate: result.gate ?? 'none', cached },
    };
  }

  resolveStringEvaluation(flagKey: string): Promise<ResolutionDetails<string>> {
    return Promise.reject(notBoolean(flagKey));
  }

  resolveNumberEvaluation(flagKey: string): Promise<ResolutionDetails<number>> {
    return Promise.reject(notBoolean(flagKey));
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string): Promise<ResolutionDetails<T>> {
    return Promise.reject(notBoolean(flagKey));
  }

  /** Forgets every flag read: the next evaluation reads the table. */
  clearCache(): void {
    this.cache.clear();
  }

  private async lookup(name: string): Promise<{ flag: Flag | null; cached: boolean }> {
    const entry = this.cache.get(name);
    if (entry && this.now() - entry.fetchedAt < this.ttlMs) return { flag: entry.flag, cached: true };
    // Concurrent evaluations of a flag that is not cached share one read.
    let pending = this.loading.get(name);
    if (!pending) {
      pending = this.load(name).finally(() => this.loading.delete(name));
      this.loading.set(name, pending);
    }
    try {
      const flag = await pending;
      // A missing flag is cached too: evaluating an uncreated flag does not read the table every time.
      this.cache.set(name, { flag, fetchedAt: this.now() });
      return { flag, cached: false };
    } catch (error) {
      logger.warn('flag could not be read', { flag: name, error: error as Error });
      throw new GeneralError(`Flag ${name} could not be read: ${(error as Error).message}`);
    }
  }
}

const notBoolean = (flagKey: string) => new TypeMismatchError(`Flag ${flagKey} is a boolean flag: evaluate it with getBooleanValue.`);

const describe = (value: unknown): string => (value instanceof Error ? `${value.name}: ${value.message}` : String(value));

/** OpenFeature's own messages, through the service's structured logger. */
const openFeatureLogger: OpenFeatureLogger = {
  error: (...args) => logger.error('openfeature', { detail: args.map(describe) }),
  warn: (...args) => logger.warn('openfeature', { detail: args.map(describe) }),
  info: (...args) => logger.info('openfeature', { detail: args.map(describe) }),
  debug: (...args) => logger.debug('openfeature', { detail: args.map(describe) }),
};

/**
 * This process's registration of the flags table with OpenFeature: made by the first
 * {@link useFlagsTable}, kept for the process. A test resets it, so that the next use registers a
 * new provider (with new options) instead of answering the old one.
 *
 * @example
 * afterEach(() => flagsTable.reset());
 */
export class FlagsTableRegistration {
  private provider: DynamoDbFlagProvider | undefined;

  /** Registers the provider if none is, and answers the registered one (later options are ignored). */
  use(options?: FlagProviderOptions): DynamoDbFlagProvider {
    if (!this.provider) {
      this.provider = new DynamoDbFlagProvider(options);
      OpenFeature.setLogger(openFeatureLogger);
      OpenFeature.setProvider(this.provider);
    }
    return this.provider;
  }

  /** The registered provider, if any. */
  get registered(): DynamoDbFlagProvider | undefined {
    return this.provider;
  }

  /** Forgets the registration (and what its provider cached): the next use registers a new provider. */
  reset(): void {
    this.provider?.clearCache();
    this.provider = undefined;
  }
}

/** The process's registration: what {@link useFlagsTable} uses. */
export const flagsTable = new FlagsTableRegistration();

/**
 * Makes this process's OpenFeature API evaluate with the flags table, once (later calls answer the
 * same provider, until `flagsTable.reset()`). Call it at module scope in a handler that evaluates flags.
 *
 * @example
 * useFlagsTable();
 * const client = OpenFeature.getClient();
 */
export function useFlagsTable(options?: FlagProviderOptions): DynamoDbFlagProvider {
  return flagsTable.use(options);
}
