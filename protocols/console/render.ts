import type { Request, Response } from 'express';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

/** What a page handler hands back: the main content, and what the layout needs around it. */
export interface PageResult {
  readonly title: string;
  readonly body: VNode;
  /** Announced in the live region (role=status; role=alert when `error`). */
  readonly message?: Message;
  readonly status?: number;
  /** The URL the browser should show (htmx pushes it after a POST). */
  readonly url?: string;
}

export interface Message {
  readonly text: string;
  readonly error?: boolean;
}

/**
 * htmx sends `HX-Request: true`; a boosted request (a whole-page navigation) wants the layout too.
 * Everything else (a list fragment, a dialog form) wants only the fragment named by `HX-Target`.
 */
export function wantsFragment(req: Request): boolean {
  return req.get('hx-request') === 'true' && req.get('hx-boosted') !== 'true';
}

/** The id of the element htmx will swap into, when the request came from htmx. */
export function hxTarget(req: Request): string | undefined {
  return wantsFragment(req) ? req.get('hx-target') ?? undefined : undefined;
}

export function html(node: VNode): string {
  return `<!doctype html>${renderToString(node)}`;
}

export function fragment(node: VNode): string {
  return renderToString(node);
}

/** Sends HTML with the headers every console answer carries (no caching of pages: they hold data). */
export function sendHtml(res: Response, status: number, body: string): void {
  res.status(status).set({
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    Vary: 'HX-Request, HX-Target',
  }).send(body);
}
