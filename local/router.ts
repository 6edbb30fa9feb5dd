/**
 * Matches requests to the manifest's HTTP routes as API Gateway HTTP APIs do: literal segments win
 * over `{param}` segments; path parameters are URL-decoded.
 */
import type { HttpTrigger } from '../shared/service/manifest.js';

export interface Route<T> {
  method: string;
  path: string;
  target: T;
}

export interface Match<T> {
  route: Route<T>;
  routeKey: string;
  pathParameters: Record<string, string>;
}

interface Compiled<T> {
  route: Route<T>;
  segments: string[];
  literals: number;
}

export class Router<T> {
  private readonly compiled: Compiled<T>[];

  constructor(routes: Route<T>[]) {
    this.compiled = routes
      .map((route) => {
        const segments = route.path.split('/').filter(Boolean);
        return { route, segments, literals: segments.filter((s) => !s.startsWith('{')).length };
      })
      .sort((a, b) => b.literals - a.literals);
  }

  /** The routes, as `METHOD /path` keys. */
  get routeKeys(): string[] {
    return this.compiled.map((c) => `${c.route.method} ${c.route.path}`);
  }

  match(method: string, rawPath: string): Match<T> | undefined {
    const parts = rawPath.split('/').filter(Boolean);
    for (const candidate of this.compiled) {
      if (candidate.route.method !== method || candidate.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const segment = candidate.segments[i]!;
        const part = parts[i]!;
        if (segment.startsWith('{')) {
          try {
            params[segment.slice(1, -1)] = decodeURIComponent(part);
          } catch {
            ok = false;
          }
        } else ok = segment === part;
      }
      if (ok) return { route: candidate.route, routeKey: `${candidate.route.method} ${candidate.route.path}`, pathParameters: params };
    }
    return undefined;
  }
}

export const routeOf = <T>(trigger: HttpTrigger, target: T): Route<T> => ({ method: trigger.method, path: trigger.path, target });
