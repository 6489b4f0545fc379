import type { ComponentChildren, VNode } from 'preact';
import { lastPage, listUrl, PAGE_SIZES, sortDirection, toggledOrdering, type ListState } from './list-state.js';

/**
 * The one list component: every table of the console (users, groups, roles, exports…) is a few
 * lines naming its columns. Search, ordering, page and page size live in the URL; sortable
 * headers, first/previous/next/last and the total come from the same page-and-count query the
 * admin API answers with. htmx swaps only the list (`#<id>`); without script every control is a
 * plain link or GET form, so the list reads the same with script off.
 */
export interface Column<T> {
  readonly label: string;
  /** The ordering field; absent when the column cannot be sorted. */
  readonly sort?: string;
  readonly cell: (row: T) => ComponentChildren;
}

export interface ListProps<T> {
  readonly id: string;
  /** The table's accessible name, e.g. "Users". */
  readonly label: string;
  /** The noun for the total ("users"). */
  readonly noun: string;
  readonly base: string;
  readonly state: ListState;
  readonly rows: readonly T[];
  readonly total: number;
  readonly columns: ReadonlyArray<Column<T>>;
  /** With a search box (the query language, or plain text where the page says so). */
  readonly searchable?: boolean;
  readonly searchHelp?: string;
  /** A query that did not parse: shown next to the box. */
  readonly error?: { readonly message: string; readonly column?: number | undefined } | undefined;
  /** Row selection for bulk actions: the checkbox's value and its accessible name. */
  readonly select?: { readonly form: string; readonly value: (row: T) => string; readonly label: (row: T) => string };
  readonly empty?: string;
  /** Controls shown above the table, inside the swapped fragment (toggles, bulk buttons). */
  readonly toolbar?: ComponentChildren;
  /** Swap the whole <main> instead of the list (a list inside a tab of a page). */
  readonly swapMain?: boolean;
}

function hx(id: string, url: string, main = false) {
  return main
    ? { 'hx-get': url, 'hx-target': '#main', 'hx-push-url': 'true' }
    : { 'hx-get': url, 'hx-target': `#${id}`, 'hx-swap': 'outerHTML', 'hx-push-url': 'true' };
}

function Hidden({ state, omit }: { state: ListState; omit: readonly string[] }): VNode {
  const pairs: Array<[string, string]> = [...Object.entries(state.extra), ['ordering', state.ordering], ['page_size', String(state.pageSize)]];
  return <>{pairs.filter(([k, v]) => v !== '' && !omit.includes(k)).map(([k, v]) => <input key={k} type="hidden" name={k} value={v} />)}</>;
}

function SearchBox<T>(p: ListProps<T>): VNode {
  const errId = `${p.id}-search-error`;
  return (
    <form class="search" role="search" method="get" action={p.base} {...hx(p.id, p.base, p.swapMain)}>
      <Hidden state={p.state} omit={['search']} />
      <label for={`${p.id}-search`}>Search</label>
      <div class="query-box" data-query-box={p.noun === 'users' ? 'users' : p.noun === 'groups' ? 'groups' : ''}>
        <input
          id={`${p.id}-search`} name="search" type="search" value={p.state.search} autocomplete="off"
          spellcheck={false} aria-invalid={p.error ? 'true' : undefined}
          aria-describedby={p.error ? errId : p.searchHelp ? `${p.id}-search-help` : undefined}
        />
      </div>
      <button type="submit" class="btn">Go</button>
      {p.searchHelp && !p.error ? <p id={`${p.id}-search-help`} class="help">{p.searchHelp}</p> : null}
      {p.error ? (
        <p id={errId} class="field-error" role="alert">
          {p.error.column ? `Column ${p.error.column}: ` : ''}{p.error.message}
        </p>
      ) : null}
    </form>
  );
}

function Header<T>({ p, c }: { p: ListProps<T>; c: Column<T> }): VNode {
  if (!c.sort) return <th scope="col">{c.label}</th>;
  const dir = sortDirection(p.state.ordering, c.sort);
  const url = listUrl(p.base, p.state, { ordering: toggledOrdering(p.state.ordering, c.sort), page: 1 });
  return (
    <th scope="col" aria-sort={dir ?? 'none'}>
      <a href={url} {...hx(p.id, url, p.swapMain)}>
        {c.label}
        <span class="sort-mark" aria-hidden="true">{dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''}</span>
      </a>
    </th>
  );
}

function PageLink<T>({ p, page, label, enabled }: { p: ListProps<T>; page: number; label: string; enabled: boolean }): VNode {
  if (!enabled) return <span class="btn btn-page" aria-disabled="true">{label}</span>;
  const url = listUrl(p.base, p.state, { page });
  return <a class="btn btn-page" href={url} {...hx(p.id, url, p.swapMain)}>{label}</a>;
}

function Pager<T>(p: ListProps<T>): VNode {
  const last = lastPage(p.total, p.state.pageSize);
  const page = Math.min(p.state.page, last);
  const sizeId = `${p.id}-page-size`;
  return (
    <div class="pager">
      <p class="total">{`${p.total.toLocaleString('en')} ${p.noun} · page ${page} of ${last.toLocaleString('en')}`}</p>
      <nav aria-label={`${p.label} pages`}>
        <PageLink p={p} page={1} label="First" enabled={page > 1} />
        <PageLink p={p} page={page - 1} label="Previous" enabled={page > 1} />
        <PageLink p={p} page={page + 1} label="Next" enabled={page < last} />
        <PageLink p={p} page={last} label="Last" enabled={page < last} />
      </nav>
      <form method="get" action={p.base} class="page-size" {...hx(p.id, p.base, p.swapMain)} hx-trigger="change">
        <Hidden state={p.state} omit={['page_size']} />
        {p.state.search ? <input type="hidden" name="search" value={p.state.search} /> : null}
        <label for={sizeId}>Page size</label>
        <select id={sizeId} name="page_size">
          {PAGE_SIZES.map((n) => <option key={n} value={String(n)} selected={n === p.state.pageSize}>{n}</option>)}
        </select>
        <button type="submit" class="btn btn-small">Apply</button>
      </form>
    </div>
  );
}

export function List<T>(p: ListProps<T>): VNode {
  const cols = p.columns.length + (p.select ? 1 : 0);
  return (
    <section id={p.id} class="list" aria-label={`${p.label} list`}>
      {p.searchable ? <SearchBox {...p} /> : null}
      {p.toolbar ?? null}
      <table>
        <caption class="visually-hidden">{p.label}</caption>
        <thead>
          <tr>
            {p.select ? (
              <th scope="col" class="select">
                <input type="checkbox" data-select-page={p.select.form} aria-label="Select all on this page" />
              </th>
            ) : null}
            {p.columns.map((c) => <Header key={c.label} p={p} c={c} />)}
          </tr>
        </thead>
        <tbody>
          {p.rows.length === 0 ? (
            <tr><td colSpan={cols} class="empty">{p.error ? 'The search could not be run.' : p.empty ?? `No ${p.noun}.`}</td></tr>
          ) : p.rows.map((row) => (
            <tr key={p.select ? p.select.value(row) : undefined}>
              {p.select ? (
                <td class="select">
                  <input type="checkbox" name="ids" value={p.select.value(row)} form={p.select.form} data-select-row="" aria-label={p.select.label(row)} />
                </td>
              ) : null}
              {p.columns.map((c) => <td key={c.label}>{c.cell(row)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      <Pager {...p} />
    </section>
  );
}
