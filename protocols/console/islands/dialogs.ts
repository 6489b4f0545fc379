/**
 * `<dialog>` openers: a button with `data-dialog="<dialog id>"` opens it modally; a button with
 * `data-dialog-close` inside closes it. Without script the dialog's page is a plain link target.
 */
export function initDialogs(): void {
  document.addEventListener('click', (e) => {
    const t = e.target as Element | null;
    const opener = t?.closest<HTMLElement>('[data-dialog]');
    if (opener) {
      const d = document.getElementById(opener.dataset.dialog ?? '') as HTMLDialogElement | null;
      if (d && typeof d.showModal === 'function') {
        e.preventDefault();
        d.showModal();
        d.querySelector<HTMLElement>('[autofocus], input, textarea, select, button')?.focus();
      }
      return;
    }
    const closer = t?.closest<HTMLElement>('[data-dialog-close]');
    if (closer) {
      e.preventDefault();
      closer.closest('dialog')?.close();
    }
  });
}

/** A dialog that arrives open in a fragment (a confirmation) is shown modally. */
export function openArrivedDialogs(root: ParentNode): void {
  root.querySelectorAll<HTMLDialogElement>('dialog[data-open]').forEach((d) => {
    if (!d.open && typeof d.showModal === 'function') d.showModal();
  });
}
