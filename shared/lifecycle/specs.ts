/**
 * One spec per lifecycle command: how it arrives over HTTP (path and body) and over EventBridge
 * (detail-type and detail), and how both become the same domain command.
 */
import * as z from '../platform/zod.js';
import type { CommandType, LifecycleCommand } from './domain/types.js';
import { namespaceId, namespacePath, subscriptionId, subscriptionPath } from '../platform/schemas.js';
import * as s from './schemas.js';

export interface CommandSpec<C extends LifecycleCommand = LifecycleCommand> {
  type: C['type'];
  /** The EventBridge detail-type (source `customers-portal`). */
  detailType: string;
  /** Which id addresses the state: a subscription (resolved to its namespace) or a namespace. */
  addressedBy: 'subscription' | 'namespace';
  path: z.ZodMiniType;
  body: z.ZodMiniType;
  /** The event detail: the HTTP body plus the path ids. */
  detail: z.ZodMiniType;
  toCommand(path: Record<string, unknown>, body: Record<string, unknown>): C;
}

const spec = <C extends LifecycleCommand>(value: CommandSpec<C>): CommandSpec<C> => value;

const noPath = z.strictObject({});

export const commandSpecs = {
  created: spec({
    type: 'created',
    detailType: 'Subscription Created',
    addressedBy: 'namespace',
    path: noPath,
    body: s.createdBody,
    detail: s.createdBody,
    toCommand: (_p, b) => ({ type: 'created', ...(b as z.output<typeof s.createdBody>) }),
  }),
  renewed: spec({
    type: 'renewed',
    detailType: 'Subscription Renewed',
    addressedBy: 'subscription',
    path: subscriptionPath,
    body: s.renewedBody,
    detail: z.extend(s.renewedBody, { subscriptionId: subscriptionId }),
    toCommand: (p, b) => ({ type: 'renewed', ...(b as z.output<typeof s.renewedBody>), subscriptionId: p.subscriptionId as string }),
  }),
  entitlementsUpdated: spec({
    type: 'entitlementsUpdated',
    detailType: 'Subscription Entitlements Updated',
    addressedBy: 'subscription',
    path: subscriptionPath,
    body: s.entitlementsBody,
    detail: z.extend(s.entitlementsBody, { subscriptionId: subscriptionId }),
    toCommand: (p, b) => ({
      type: 'entitlementsUpdated',
      ...(b as z.output<typeof s.entitlementsBody>),
      subscriptionId: p.subscriptionId as string,
    }),
  }),
  expired: spec({
    type: 'expired',
    detailType: 'Subscription Expired',
    addressedBy: 'subscription',
    path: subscriptionPath,
    body: s.expiredBody,
    detail: z.extend(s.expiredBody, { subscriptionId: subscriptionId }),
    toCommand: (p, b) => ({ type: 'expired', ...(b as z.output<typeof s.expiredBody>), subscriptionId: p.subscriptionId as string }),
  }),
  trialStarted: spec({
    type: 'trialStarted',
    detailType: 'Trial Started',
    addressedBy: 'namespace',
    path: namespacePath,
    body: s.trialStartedBody,
    detail: z.extend(s.trialStartedBody, { namespaceId: namespaceId }),
    toCommand: (p, b) => ({ type: 'trialStarted', ...(b as z.output<typeof s.trialStartedBody>), namespaceId: p.namespaceId as number }),
  }),
  trialEnded: spec({
    type: 'trialEnded',
    detailType: 'Trial Ended',
    addressedBy: 'namespace',
    path: namespacePath,
    body: s.trialEndedBody,
    detail: z.extend(s.trialEndedBody, { namespaceId: namespaceId }),
    toCommand: (p, b) => ({ type: 'trialEnded', ...(b as z.output<typeof s.trialEndedBody>), namespaceId: p.namespaceId as number }),
  }),
  seatUsageReported: spec({
    type: 'seatUsageReported',
    detailType: 'Seat Usage Reported',
    addressedBy: 'namespace',
    path: namespacePath,
    body: s.seatUsageBody,
    detail: z.extend(s.seatUsageBody, { namespaceId: namespaceId }),
    toCommand: (p, b) => ({ type: 'seatUsageReported', ...(b as z.output<typeof s.seatUsageBody>), namespaceId: p.namespaceId as number }),
  }),
} satisfies { [K in CommandType]: CommandSpec<Extract<LifecycleCommand, { type: K }>> };
