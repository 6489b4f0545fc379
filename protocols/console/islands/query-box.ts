/**
 * The query box: auto-complete of fields, operators and values for the admin query language
 * (fields from the same description `GET /api/v1/search/fields` gives, values from look-ups).
 * An ARIA 1.2 combobox: arrows move, Enter or Tab takes a suggestion, Esc closes.
 */
interface FieldInfo { name: string; type: string; operators: string[]; values?: string[] }

const cache = new Map<string, Promise<FieldInfo[]>>();

function fieldsOf(entity: string): Promise<FieldInfo[]> {
  let p = cache.get(entity);
  if (!p) {
    p = fetch(`/admin/search/fields?entity=${encodeURIComponent(entity)}`, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : { fields: [] }))
      .then((d: { fields: FieldInfo[] }) => d.fields.map((f) => ({ ...f, name: f.name === 'attributes.<key>' ? 'attributes.' : f.name })));
    cache.set(entity, p);
  }
  return p;
}

async function valuesOf(entity: string, field: string, prefix: string): Promise<string[]> {
  const r = await fetch(`/admin/search/values?entity=${encodeURIComponent(entity)}&field=${encodeURIComponent(field)}&prefix=${encodeURIComponent(prefix)}`, { credentials: 'same-origin' });
  return r.ok ? ((await r.json()) as { values: string[] }).values : [];
}

/** Tokens before the caret, enough to know what comes next. */
const TOKEN = /\s*("(?:[^"\\]|\\.)*"?|\(|\)|,|!=|>=|<=|!~|=|~|>|<|[^\s()=!~<>",]+)/y;

interface Context { kind: 'field' | 'operator' | 'value' | 'combinator'; field?: string; partial: string; start: number }

export function contextAt(text: string): Context {
  const tokens: Array<{ t: string; at: number }> = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(text)) !== null) tokens.push({ t: m[1]!, at: m.index + m[0].length - m[1]!.length });
  const endsInSpace = /\s$/.test(text) || text === '';
  const last = endsInSpace ? null : tokens.pop() ?? null;
  const partial = last ? last.t : '';
  const start = last ? last.at : text.length;
  // Walk the complete tokens: field, operator (one or two words), value, combinator, …
  let state: Context['kind'] = 'field';
  let field: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!.t;
    if (state === 'field') {
      if (t === '(') continue;
      field = t;
      state = 'operator';
    } else if (state === 'operator') {
      if (t.toLowerCase() === 'not') continue;
      state = 'value';
    } else if (state === 'value') {
      if (t === '(') { while (i + 1 < tokens.length && tokens[i]!.t !== ')') i++; }
      state = 'combinator';
    } else {
      if (t === ')') continue;
      state = 'field';
    }
  }
  return { kind: state, ...(field ? { field } : {}), partial, start };
}

const COMBINATORS = ['and', 'or'];

function quote(v: string): string {
  return v === 'True' || v === 'False' || v === 'None' || /^-?\d+(\.\d+)?$/.test(v) ? v : JSON.stringify(v);
}

async function suggestions(entity: string, ctx: Context): Promise<string[]> {
  const fields = await fieldsOf(entity);
  const p = ctx.partial.toLowerCase();
  const starts = (s: string) => s.toLowerCase().startsWith(p) && s.toLowerCase() !== p;
  if (ctx.kind === 'field') return fields.map((f) => f.name).filter((n) => starts(n) || (p.startsWith('attributes.') && n === 'attributes.' && false));
  const f = fields.find((x) => x.name === ctx.field || (x.name === 'attributes.' && ctx.field?.startsWith('attributes.')));
  if (ctx.kind === 'operator') return (f?.operators ?? []).filter((o) => o.toLowerCase().startsWith(p));
  if (ctx.kind === 'combinator') return COMBINATORS.filter((c) => c.startsWith(p));
  const raw = p.replace(/^"/, '');
  let values = f?.values ? [...f.values] : f?.type === 'boolean' ? ['True', 'False'] : [];
  if (values.length === 0 && ctx.field) values = await valuesOf(entity, ctx.field, raw).catch(() => []);
  return values.map(quote).filter((v) => v.toLowerCase().replace(/^"/, '').startsWith(raw));
}

function setup(box: HTMLElement): void {
  const entity = box.dataset.queryBox ?? 'users';
  const input = box.querySelector('input');
  if (!input || input.dataset.ready) return;
  input.dataset.ready = '1';
  const list = document.createElement('ul');
  list.id = `${input.id}-suggestions`;
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', 'Suggestions');
  list.className = 'suggestions';
  list.hidden = true;
  box.appendChild(list);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', list.id);
  let items: string[] = [];
  let active = -1;
  let ctx: Context | null = null;
  let seq = 0;

  const close = () => {
    list.hidden = true;
    items = [];
    active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  };
  const render = () => {
    list.replaceChildren(...items.map((s, i) => {
      const li = document.createElement('li');
      li.id = `${list.id}-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', i === active ? 'true' : 'false');
      li.textContent = s;
      li.addEventListener('mousedown', (e) => { e.preventDefault(); take(i); });
      return li;
    }));
    list.hidden = items.length === 0;
    input.setAttribute('aria-expanded', items.length ? 'true' : 'false');
    if (active >= 0) input.setAttribute('aria-activedescendant', `${list.id}-${active}`);
    else input.removeAttribute('aria-activedescendant');
  };
  const take = (i: number) => {
    if (!ctx || !items[i]) return;
    const caret = input.selectionStart ?? input.value.length;
    const chosen = items[i]!;
    const before = input.value.slice(0, ctx.start);
    const after = input.value.slice(caret);
    const glue = chosen.endsWith('.') ? '' : ' ';
    input.value = `${before}${chosen}${glue}${after}`;
    const pos = before.length + chosen.length + glue.length;
    input.setSelectionRange(pos, pos);
    close();
    void update();
  };
  const update = async () => {
    const mine = ++seq;
    const caret = input.selectionStart ?? input.value.length;
    const c = contextAt(input.value.slice(0, caret));
    const s = await suggestions(entity, c);
    if (mine !== seq || document.activeElement !== input) return;
    ctx = c;
    items = s.slice(0, 12);
    active = -1;
    render();
  };
  input.addEventListener('input', () => { void update(); });
  input.addEventListener('focus', () => { void update(); });
  input.addEventListener('blur', () => close());
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      render();
    } else if ((e.key === 'Enter' || e.key === 'Tab') && active >= 0) {
      e.preventDefault();
      take(active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
}

export function initQueryBoxes(root: ParentNode): void {
  root.querySelectorAll<HTMLElement>('[data-query-box]').forEach((b) => { if (b.dataset.queryBox) setup(b); });
}
