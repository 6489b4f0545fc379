/**
 * Copy buttons (`data-copy="<input id>"`): the clipboard API, and when the browser refuses it
 * (no permission, not a secure context) the value is selected so the person can press Ctrl+C.
 */
function announce(text: string): void {
  const live = document.getElementById('live');
  if (live) {
    const p = document.createElement('p');
    p.className = 'msg msg-ok';
    p.textContent = text;
    live.replaceChildren(p);
  }
}

async function copy(button: HTMLElement): Promise<void> {
  const target = document.getElementById(button.dataset.copy ?? '') as HTMLInputElement | HTMLTextAreaElement | null;
  if (!target) return;
  try {
    if (!navigator.clipboard) throw new Error('no clipboard');
    await navigator.clipboard.writeText(target.value);
    announce('Copied to the clipboard.');
  } catch {
    target.focus();
    target.select();
    announce('The browser refused the clipboard: the text is selected, press Ctrl+C (or ⌘C) to copy it.');
  }
}

export function initCopyButtons(): void {
  document.addEventListener('click', (e) => {
    const b = (e.target as Element | null)?.closest<HTMLElement>('[data-copy]');
    if (b) {
      e.preventDefault();
      void copy(b);
    }
  });
}
