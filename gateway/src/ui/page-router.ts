import express, { type RequestHandler, type Router } from 'express';
import type { PeopleAuth } from '../identity/people-auth.js';
import { PERSON_ROLES, type PersonRole } from '../identity/principal.js';

/**
 * Every page is registered with the roles that may use it, so no route can exist without an
 * authorisation check; the same table drives the route × role test. Unsafe methods also get
 * the CSRF check.
 */

export type Access = readonly PersonRole[] | 'public' | 'signed-in';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  access: Access;
}

export interface PageRouter {
  router: Router;
  routes: RouteSpec[];
  get(path: string, access: Access, ...handlers: RequestHandler[]): void;
  post(path: string, access: Access, ...handlers: RequestHandler[]): void;
}

const ALL_ROLES: readonly PersonRole[] = PERSON_ROLES;

export function createPageRouter(people: Pick<PeopleAuth, 'requireRole' | 'csrfProtect'>, routes: RouteSpec[] = []): PageRouter {
  const router = express.Router();
  const guard = (access: Access): RequestHandler[] => {
    if (access === 'public') return [];
    return [people.requireRole(...(access === 'signed-in' ? ALL_ROLES : access))];
  };
  return {
    router,
    routes,
    get(path, access, ...handlers) {
      routes.push({ method: 'GET', path, access });
      router.get(path, ...guard(access), ...handlers);
    },
    post(path, access, ...handlers) {
      routes.push({ method: 'POST', path, access });
      // Public posts still need a session for the token, so there are none: fail loudly if added.
      if (access === 'public') throw new Error(`public POST ${path} is not allowed`);
      router.post(path, ...guard(access), people.csrfProtect, ...handlers);
    },
  };
}
