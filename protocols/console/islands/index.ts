/** The console's script islands, bundled by esbuild into one file served by dirgate itself. */
import { initCopyButtons } from './copy-button.js';
import { initDialogs, openArrivedDialogs } from './dialogs.js';
import { initQueryBoxes } from './query-box.js';
import { clearSelection, initSelectAll, restoreSelections } from './select-all.js';

function onContent(root: ParentNode): void {
  initQueryBoxes(root);
  restoreSelections(root);
  openArrivedDialogs(root);
  root.querySelectorAll<HTMLElement>('[data-clear-selection]').forEach((el) => clearSelection(el.dataset.clearSelection!));
}

initCopyButtons();
initDialogs();
initSelectAll();
document.addEventListener('DOMContentLoaded', () => onContent(document));
// htmx fires htmx:load for every piece of content it swaps in.
document.addEventListener('htmx:load', (e) => onContent(e.target as ParentNode));
