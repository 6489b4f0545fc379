import type { ComponentChildren, VNode } from 'preact';
import { assetUrl } from './assets.js';
import { CSRF_FIELD } from './csrf.js';
import type { Message } from './render.js';
import type { ConsoleAuth } from './session.js';

/** htmx without eval, without inline styles, and swapping error answers too (they carry the form). */
const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  selfRequestsOnly: true,
  // Settling a `style` attribute is an inline style, which the CSP refuses.
  attributesToSettle: ['class', 'width', 'height'],
  // No page snapshots in localStorage: a page may hold a show-once value.
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '[45]..', swap: true, error: false },
  ],
});

export const NAVIGATION: ReadonlyArray<{ href: string; label: string; permission?: string }> = [
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/groups', label: 'Groups' },
  { href: '/admin/roles', label: 'Roles' },
  { href: '/admin/applications', label: 'Applications' },
  { href: '/admin/events', label: 'Events' },
  { href: '/admin/exports', label: 'Data Exports' },
  { href: '/admin/settings', label: 'Settings' },
];

/** The live region every result and error is announced in (htmx swaps into it out of band). */
export function LiveRegion({ message, oob }: { message?: Message | undefined; oob?: boolean }): VNode {
  return (
    <div id="live" role="status" aria-live="polite" class="live" {...(oob ? { 'hx-swap-oob': 'true' } : {})}>
      {message ? <p class={message.error ? 'msg msg-error' : 'msg msg-ok'} role={message.error ? 'alert' : undefined}>{message.text}</p> : null}
    </div>
  );
}

/** A hidden CSRF field for plain (script-less) form posts. */
export function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name={CSRF_FIELD} value={token} />;
}

export interface LayoutProps {
  readonly title: string;
  readonly auth: ConsoleAuth | null;
  readonly current?: string;
  readonly message?: Message | undefined;
  readonly notifications?: VNode | null;
  readonly children: ComponentChildren;
}

function Head({ title }: { title: string }): VNode {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="htmx-config" content={HTMX_CONFIG} />
      <title>{`${title} · dirgate`}</title>
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href={assetUrl('console.css')} />
      <script src={assetUrl('htmx.min.js')} defer />
      <script src={assetUrl('console.js')} defer />
    </head>
  );
}

function ImpersonationBanner({ auth }: { auth: ConsoleAuth }): VNode | null {
  const by = auth.ctx.impersonator;
  if (!by) return null;
  return (
    <div class="banner" role="region" aria-label="Impersonation">
      <p>
        You are acting as <strong>{auth.ctx.user.username}</strong> (impersonated by {by.username}).
      </p>
      <form method="post" action="/admin/impersonation/stop">
        <Csrf token={auth.csrf} />
        <button type="submit" class="btn btn-warning">Stop impersonation</button>
      </form>
    </div>
  );
}

/** The whole page: header with navigation, banner, notifications, live region, main content. */
export function Layout(p: LayoutProps): VNode {
  const { auth } = p;
  return (
    <html lang="en">
      <Head title={p.title} />
      <body {...(auth ? { 'hx-headers': JSON.stringify({ 'X-CSRF-Token': auth.csrf }) } : {})}>
        <a class="skip" href="#main">Skip to content</a>
        {auth ? (
          <header class="top">
            <a class="brand" href="/admin/users">dirgate</a>
            <nav aria-label="Main">
              <ul>
                {NAVIGATION.map((n) => (
                  <li key={n.href}>
                    <a href={n.href} aria-current={p.current === n.href ? 'page' : undefined}>{n.label}</a>
                  </li>
                ))}
              </ul>
            </nav>
            <div class="who">
              <span>{auth.ctx.user.username}</span>
              <form method="post" action="/admin/logout">
                <Csrf token={auth.csrf} />
                <button type="submit" class="btn btn-link">Sign out</button>
              </form>
            </div>
          </header>
        ) : null}
        {auth ? <ImpersonationBanner auth={auth} /> : null}
        {p.notifications ?? null}
        <LiveRegion message={p.message} />
        <main id="main" tabIndex={-1}>
          {p.children}
        </main>
      </body>
    </html>
  );
}
