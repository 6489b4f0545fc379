import type { ComponentChildren, VNode } from 'preact';
import { Csrf } from './layout.js';

/**
 * A button that opens a modal `<dialog>` holding a form (confirmations, Reason, new password).
 * The form posts with htmx into <main>; without script it is a plain POST.
 */
export function DialogButton(p: {
  id: string; label: string; title: string; action: string; csrf: string; submit: string;
  danger?: boolean; children?: ComponentChildren; disabledReason?: string | undefined;
}): VNode {
  if (p.disabledReason) {
    return (
      <span class="disabled-action">
        <button type="button" class="btn" disabled aria-describedby={`${p.id}-why`}>{p.label}</button>
        <span id={`${p.id}-why`} class="help">{p.disabledReason}</span>
      </span>
    );
  }
  return (
    <>
      <button type="button" class={p.danger ? 'btn btn-danger' : 'btn'} data-dialog={p.id} aria-haspopup="dialog">{p.label}</button>
      <dialog id={p.id} aria-labelledby={`${p.id}-title`}>
        <form method="post" action={p.action} hx-post={p.action} hx-target="#main" class="form">
          <Csrf token={p.csrf} />
          <h2 id={`${p.id}-title`}>{p.title}</h2>
          {p.children}
          <div class="buttons">
            <button type="submit" class={p.danger ? 'btn btn-danger' : 'btn btn-primary'}>{p.submit}</button>
            <button type="button" class="btn" data-dialog-close="">Cancel</button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/** A one-button form (no confirmation needed). */
export function PostButton({ action, label, csrf, name, value, danger }: { action: string; label: string; csrf: string; name?: string; value?: string; danger?: boolean }): VNode {
  return (
    <form method="post" action={action} hx-post={action} hx-target="#main" class="inline">
      <Csrf token={csrf} />
      {name ? <input type="hidden" name={name} value={value ?? ''} /> : null}
      <button type="submit" class={danger ? 'btn btn-danger' : 'btn'}>{label}</button>
    </form>
  );
}
