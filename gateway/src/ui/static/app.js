// GOV.UK Frontend components (the inline template script has already marked the body as supported).
import { initAll } from '/assets/govuk-frontend.min.js';

initAll();

// "Print" buttons are hidden without JavaScript: the browser's own print command does the same.
for (const button of document.querySelectorAll('[data-app-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}

// Folded parts of a page (earlier research rounds) print unfolded.
window.addEventListener('beforeprint', () => {
  for (const d of document.querySelectorAll('details[data-app-print-open]')) d.open = true;
});
