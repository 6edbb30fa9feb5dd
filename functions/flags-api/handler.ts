/**
 * The operators' flag routes: list, read, change (creating with every gate off when missing) and
 * the history of changes. Every change records the operator and is conditional on the flag's version.
 */
import { changeFlag } from '../../shared/flags/admin.js';
import { flagChangeBody, flagPath, historyQuery } from '../../shared/flags/schemas.js';
import { NotFoundError } from '../../shared/platform/errors.js';
import { parseBody, parseWith, recordedActor } from '../../shared/platform/http/handler.js';
import { operatorHandler } from '../../shared/platform/http/operator-token.js';
import { getFlag, listFlagHistory, listFlags } from '../../shared/flags/store.js';
import { noQuery } from '../../shared/platform/http/query.js';

export const handler = operatorHandler(
  async (event, { actor, log }) => {
    switch (event.routeKey) {
      case 'GET /v1/flags':
        parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
        return { body: { items: await listFlags() } };
      case 'GET /v1/flags/{name}': {
        const { name } = parseWith(flagPath, event.pathParameters ?? {}, 'path');
        parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
        const flag = await getFlag(name);
        if (!flag) throw new NotFoundError(`Flag ${name} does not exist: create it with PUT /v1/flags/${name}.`);
        return { body: flag };
      }
      case 'PUT /v1/flags/{name}': {
        const { name } = parseWith(flagPath, event.pathParameters ?? {}, 'path');
        parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
        const { expectedVersion, ...change } = parseBody(event, flagChangeBody);
        const outcome = await changeFlag(name, change, { operator: recordedActor(actor), expectedVersion });
        log.info(outcome.changed ? 'flag changed' : 'flag unchanged', {
          flag: name,
          version: outcome.flag.version,
          created: outcome.created,
          operator: actor.id,
          enabled: outcome.flag.enabled,
          actors: outcome.flag.actors.length,
          percentageOfActors: outcome.flag.percentageOfActors,
        });
        return { statusCode: outcome.created ? 201 : 200, body: outcome.flag };
      }
      case 'GET /v1/flags/{name}/history': {
        const { name } = parseWith(flagPath, event.pathParameters ?? {}, 'path');
        const query = parseWith(historyQuery, event.queryStringParameters ?? {}, 'query');
        const page = await listFlagHistory(name, { limit: query.limit ?? 50, cursor: query.cursor });
        // Flags are never deleted and creation is the first entry: no entry means no such flag.
        if (page.items.length === 0 && !query.cursor) throw new NotFoundError(`Flag ${name} does not exist: it has no history.`);
        return { body: { name, ...page } };
      }
      default:
        throw new NotFoundError(`No route ${event.routeKey}.`);
    }
  },
);
