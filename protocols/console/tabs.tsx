import type { ComponentChildren, VNode } from 'preact';

export interface TabSpec {
  readonly key: string;
  readonly label: string;
}

/** Tabs held in the URL (`?tab=`): links with the ARIA tab roles; htmx swaps only <main>. */
export function Tabs({ tabs, current, href, label, children }: { tabs: readonly TabSpec[]; current: string; href: (key: string) => string; label: string; children: ComponentChildren }): VNode {
  return (
    <>
      <div class="tabs" role="tablist" aria-label={label}>
        {tabs.map((t) => (
          <a key={t.key} id={`tab-${t.key}`} role="tab" href={href(t.key)} aria-selected={t.key === current ? 'true' : 'false'}
            aria-controls="tabpanel" hx-get={href(t.key)} hx-target="#main" hx-push-url="true">
            {t.label}
          </a>
        ))}
      </div>
      <div id="tabpanel" role="tabpanel" aria-labelledby={`tab-${current}`} tabIndex={0}>
        {children}
      </div>
    </>
  );
}
