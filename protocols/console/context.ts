import type { Request, Response } from 'express';
import type { VNode } from 'preact';
import { PermissionDenied } from '../../src/domain/errors.js';
import type { Permission } from '../../src/domain/permissions.js';
import type { Services } from '../../src/services/index.js';
import type { Message } from './render.js';
import type { ConsoleAuth } from './session.js';

/** What a page handler gets. */
export interface PageContext {
  readonly services: Services;
  readonly req: Request;
  readonly res: Response;
  readonly auth: ConsoleAuth;
  /** The element id an htmx request will swap into (`main`, `users-list`…), or undefined for a whole page. */
  readonly target: string | undefined;
  readonly query: Record<string, unknown>;
  readonly body: Record<string, unknown>;
  readonly params: Record<string, string>;
}

/** A page (or, for an htmx request, the fragment it asked for). */
export interface PageOutcome {
  readonly kind: 'page';
  readonly title: string;
  /** The navigation entry to mark current. */
  readonly section: string;
  readonly body: VNode;
  /** Fragments by element id: an htmx request targeting one gets only that. */
  readonly fragments?: Readonly<Record<string, VNode>>;
  readonly message?: Message | undefined;
  readonly status?: number;
}

/** After a change: go to `to` and announce `message` there. */
export interface RedirectOutcome {
  readonly kind: 'redirect';
  readonly to: string;
  readonly message?: Message;
  /** The session changed (sign-in as someone else): reload the whole page, not just <main>. */
  readonly full?: boolean;
}

export type Outcome = PageOutcome | RedirectOutcome;
export type PageHandler = (c: PageContext) => Promise<Outcome>;

export function page(p: Omit<PageOutcome, 'kind'>): PageOutcome {
  return { kind: 'page', ...p };
}

export function redirect(to: string, message?: Message, full = false): RedirectOutcome {
  return { kind: 'redirect', to, ...(message ? { message } : {}), ...(full ? { full } : {}) };
}

/** May the signed-in user do this? (What they may not do is not offered.) */
export function may(c: PageContext, permission: Permission): boolean {
  return c.auth.permissions.has(permission);
}

/** The same check the admin API makes, asked of the access service. @throws PermissionDenied */
export async function requirePermission(c: PageContext, permission: Permission): Promise<void> {
  await c.services.access.require(c.auth.ctx.actor, permission);
}

export function denied(permission: Permission): PermissionDenied {
  return new PermissionDenied(`this requires the permission ${permission}`, permission);
}

/** A string from a form body or query (first value when repeated). */
export function field(source: Record<string, unknown>, name: string): string {
  const v = source[name];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : '';
  return typeof v === 'string' ? v : '';
}

/** Every string value of a repeated form field. */
export function fieldList(source: Record<string, unknown>, name: string): string[] {
  const v = source[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}
