// Live character counts with guidance under the headline and standfirst.
// Without JavaScript the form works the same, without the counts.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("[data-advice]")) {
    const advice = Number(input.dataset.advice);
    const note = document.createElement("span");
    note.className = "nd-count";
    note.id = `${input.id}_count`;
    note.setAttribute("aria-live", "polite");
    const described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", described ? `${described} ${note.id}` : note.id);
    const update = () => {
      const n = input.value.length;
      const over = n > advice;
      note.textContent = over
        ? `${n} characters: over ${advice}, search results and social cards will cut it off.`
        : `${n} of ${advice} characters shown in search results and social cards.`;
      note.classList.toggle("nd-over", over);
    };
    input.insertAdjacentElement("afterend", note);
    input.addEventListener("input", update);
    update();
  }
});

// Controls drawn by scripts (the body editor, select2 pickers) get the name of
// the field they stand for, so screen readers announce them.
(() => {
  const labelOf = (row) => {
    const label = row && row.querySelector("label");
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  };
  const name = () => {
    for (const el of document.querySelectorAll(
      ".ProseMirror[contenteditable]:not([aria-label]), .select2-selection[role=combobox]:not([aria-label]), .select2-selection__rendered[role=textbox]:not([aria-label])"
    )) {
      const text = labelOf(el.closest(".form-row, .flex-container"));
      if (text) el.setAttribute("aria-label", text);
    }
  };
  new MutationObserver(name).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", name);
})();
