// Behaviour shared by every page. The Content-Security-Policy forbids inline scripts and event
// handler attributes (RELIABILITY.md, H1), so markup asks for behaviour with data- attributes.

// <select data-autosubmit> submits its form when its value changes (filters without a button).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
