/**
 * Row selection for bulk actions. "Select all on this page" ticks the page's rows; the
 * selection is kept across pages in sessionStorage (per form) and sent with the bulk form as
 * hidden `ids` fields, so one server-side call acts on all of it.
 */
const KEY = (form: string) => `dirgate-selection:${form}`;

function load(form: string): Set<string> {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(KEY(form)) ?? '[]') as string[]);
  } catch {
    return new Set();
  }
}

function save(form: string, s: Set<string>): void {
  try { sessionStorage.setItem(KEY(form), JSON.stringify([...s])); } catch { /* storage refused: page-only selection */ }
}

function rows(form: string): HTMLInputElement[] {
  return [...document.querySelectorAll<HTMLInputElement>(`input[data-select-row][form="${form}"]`)];
}

function showCount(form: string, s: Set<string>): void {
  document.querySelectorAll<HTMLElement>(`[data-selection-count="${form}"]`).forEach((el) => {
    el.textContent = s.size === 0 ? 'No users selected' : `${s.size} selected`;
  });
}

/** After a (re)render: tick what was selected on other visits, sync the page box. */
export function restoreSelections(root: ParentNode): void {
  root.querySelectorAll<HTMLInputElement>('input[data-select-page]').forEach((box) => {
    const form = box.dataset.selectPage!;
    const s = load(form);
    const rs = rows(form);
    rs.forEach((r) => { if (s.has(r.value)) r.checked = true; });
    box.checked = rs.length > 0 && rs.every((r) => r.checked);
    showCount(form, s);
  });
}

export function initSelectAll(): void {
  document.addEventListener('change', (e) => {
    const el = e.target as HTMLInputElement;
    if (el.matches('input[data-select-page]')) {
      const form = el.dataset.selectPage!;
      const s = load(form);
      rows(form).forEach((r) => { r.checked = el.checked; if (el.checked) s.add(r.value); else s.delete(r.value); });
      save(form, s);
      showCount(form, s);
    } else if (el.matches('input[data-select-row]')) {
      const form = el.getAttribute('form')!;
      const s = load(form);
      if (el.checked) s.add(el.value); else s.delete(el.value);
      save(form, s);
      showCount(form, s);
    }
  });
  // Before a bulk form is sent, add the rows selected on other pages.
  document.addEventListener('submit', (e) => addHidden(e.target as HTMLFormElement), true);
  document.addEventListener('htmx:configRequest', (e) => {
    const form = (e.target as Element).closest('form');
    if (!form || !form.dataset.bulk) return;
    const detail = (e as CustomEvent<{ parameters: FormData | Record<string, unknown> }>).detail;
    const onPage = new Set(rows(form.id).filter((r) => r.checked).map((r) => r.value));
    const extra = [...load(form.id)].filter((id) => !onPage.has(id));
    const params = detail.parameters;
    if (params instanceof FormData) extra.forEach((id) => params.append('ids', id));
  });
}

function addHidden(form: HTMLFormElement): void {
  if (!form.dataset || !form.dataset.bulk || form.dataset.sent) return;
  const onPage = new Set(rows(form.id).filter((r) => r.checked).map((r) => r.value));
  for (const id of load(form.id)) {
    if (onPage.has(id)) continue;
    const h = document.createElement('input');
    h.type = 'hidden';
    h.name = 'ids';
    h.value = id;
    form.appendChild(h);
  }
}

/** After a bulk action ran: forget the selection. */
export function clearSelection(form: string): void {
  try { sessionStorage.removeItem(KEY(form)); } catch { /* nothing kept */ }
}
