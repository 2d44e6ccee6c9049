(function () {
  "use strict";
  // GOV.UK error summary: focus the summary when the page opens; a summary link scrolls its field's
  // label (or its fieldset's legend) to the top of the window and then focuses the field, so the label,
  // hint and error message stay in view. Without this script the links still lead to the fields.
  var summary = document.querySelector(".error-summary");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target;
    while (link && link !== summary && link.tagName !== "A") {
      link = link.parentNode;
    }
    var href = link && link !== summary ? link.getAttribute("href") || "" : "";
    var input = href.charAt(0) === "#" ? document.getElementById(href.slice(1)) : null;
    var label = input ? labelFor(input) : null;
    if (!label) {
      return;
    }
    event.preventDefault();
    label.scrollIntoView();
    input.focus({ preventScroll: true });
  });
  function labelFor(input) {
    var fieldset = input.closest("fieldset");
    var legend = fieldset ? fieldset.querySelector("legend") : null;
    if (legend) {
      if (input.type === "radio" || input.type === "checkbox") {
        return legend;
      }
      var box = input.getBoundingClientRect();
      if (box.bottom - legend.getBoundingClientRect().top < window.innerHeight / 2) {
        return legend;
      }
    }
    return document.querySelector("label[for='" + input.id + "']") || input.closest("label");
  }
})();
