/**
 * One spec per lifecycle command: how it arrives over HTTP (path and body) and over EventBridge
 * (detail-type and detail), and how both become the same domain command. Derived from the command
 * table (./commands.ts): nothing here is written per command.
 */
import * as z from '../platform/zod.js';
import type { CommandType, LifecycleCommand } from './domain/types.js';
import { namespaceId, subscriptionId } from '../platform/schemas.js';
import { commands } from './commands.js';
import type { CommandDefinition, CommerceCommandType } from './commands.js';

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

type CommandOf<K extends CommandType> = Extract<LifecycleCommand, { type: K }>;

/** A path id as it is written in an event's detail: a JSON value, not a path segment. */
const detailIds = { subscriptionId, namespaceId } as const;

function specOf(command: CommandDefinition): CommandSpec {
  const ids = Object.keys(command.path.shape) as Array<keyof typeof detailIds>;
  const checked = <S extends z.ZodMiniObject>(schema: S): S => (command.checks?.length ? schema.check(...(command.checks as z.core.$ZodCheck<z.output<S>>[])) : schema);
  return {
    type: command.type,
    detailType: command.detailType,
    addressedBy: command.addressedBy,
    path: command.path,
    body: checked(command.body),
    detail: checked(ids.length ? z.extend(command.body, Object.fromEntries(ids.map((id) => [id, detailIds[id]]))) : command.body),
    toCommand: (path, body) => ({ type: command.type, ...body, ...Object.fromEntries(ids.map((id) => [id, path[id]])) }) as LifecycleCommand,
  };
}

export const commandSpecs = Object.fromEntries(
  Object.entries(commands).map(([type, command]) => [type, specOf(command)]),
) as { readonly [K in CommerceCommandType]: CommandSpec<CommandOf<K>> };

/*
 * The build checks what the cast above cannot: each command's body plus its path ids is exactly its
 * domain type. A schema that drifts from the type names its command here.
 */
type Named<O> = { [P in keyof O as string extends P ? never : P]: O[P] };
type Parsed<K extends CommerceCommandType> = { type: K } & z.output<(typeof commands)[K]['body']> & Named<z.output<(typeof commands)[K]['path']>>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Matches<A, B> = Same<A, B> extends true ? Same<keyof A, keyof B> : false;
type Drifted = { [K in CommerceCommandType]: Matches<Parsed<K>, CommandOf<K>> extends true ? never : K }[CommerceCommandType];
type NoneOf<T extends never> = T;
export type SchemasMatchTypes = NoneOf<Drifted>;
