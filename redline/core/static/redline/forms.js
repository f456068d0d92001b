// Small behaviours of forms, declared in the markup instead of inline handlers (the Content
// Security Policy runs no inline script): a control with `data-autosubmit` sends its form
// when it changes; a form with `data-confirm` asks that question before it is sent.
(() => {
  document.addEventListener("change", (event) => {
    const control = event.target;
    if (!(control instanceof Element) || !control.matches("[data-autosubmit]")) return;
    const form = control.form;
    if (form) form.submit();
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();
