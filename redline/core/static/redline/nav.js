// The main menu's groups (<details class="navgroup"> in base.html). On a desktop one group
// is open at a time, and Escape, a click elsewhere or tabbing out closes it. On a phone
// (the hamburger menu) every group is open, shown as a headed list.
(() => {
  const nav = document.querySelector("nav.mainnav");
  if (!nav) return;
  const groups = [...nav.querySelectorAll("details.navgroup")];
  if (!groups.length) return;
  const phone = window.matchMedia("(max-width: 760px)");
  // Open or close them all only when the layout really changes: Chromium also reports a
  // "change" when the viewport is emulated anew (a full-page screenshot), with no change.
  let onPhone = phone.matches;
  if (onPhone) for (const group of groups) group.open = true;
  phone.addEventListener("change", () => {
    if (phone.matches === onPhone) return;
    onPhone = phone.matches;
    for (const group of groups) group.open = onPhone;
  });

  for (const group of groups) {
    group.addEventListener("toggle", () => {
      if (group.open && !phone.matches) {
        for (const other of groups) if (other !== group) other.open = false;
      }
    });
    // A phone's groups are headings, not switches.
    group.querySelector("summary").addEventListener("click", (event) => {
      if (phone.matches) event.preventDefault();
    });
    group.addEventListener("focusout", (event) => {
      if (!phone.matches && event.relatedTarget && !group.contains(event.relatedTarget)) {
        group.open = false;
      }
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || phone.matches) return;
    const open = groups.find((group) => group.open);
    if (!open) return;
    const hadFocus = open.contains(document.activeElement);
    open.open = false;
    if (hadFocus) open.querySelector("summary").focus();
  });
  document.addEventListener("click", (event) => {
    if (phone.matches) return;
    for (const group of groups) if (group.open && !group.contains(event.target)) group.open = false;
  });
})();
