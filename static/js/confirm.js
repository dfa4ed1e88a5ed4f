// Irreversible actions ask first: a submit button with data-confirm="question" shows the question
// and the form is sent only when the person agrees. Loaded on every page (templates/base.html).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset ? button.dataset.confirm : "";
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
