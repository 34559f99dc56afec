// Behaviour that pages declare with data attributes (the Content-Security-Policy allows no inline script):
//   <select data-submit-on-change>   submits its form when changed (the language switcher);
//   <button data-print>              prints the page;
//   <form data-confirm="…">          asks before submitting.
(function () {
  document.querySelectorAll("[data-submit-on-change]").forEach(function (field) {
    field.addEventListener("change", function () { field.form.submit(); });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
