// The image library opened by the body editor's "Browse..." (a CKEditor-style
// file browser callback, which django-prose-editor's figure dialog speaks).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("nd-picker");
  if (!root) return;
  const use = (data) => {
    const opener = window.opener;
    const num = Number(root.dataset.func);
    if (!opener || !opener.CKEDITOR || !num) return;
    opener.CKEDITOR.tools.callFunction(num, data.url, {
      id: data.id,
      alternative_text: data.alt,
      caption: data.caption,
    });
    window.close();
  };
  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-use-image]");
    if (button) use(button.dataset);
  });
  if (root.dataset.chosenUrl) {
    use({
      url: root.dataset.chosenUrl,
      id: root.dataset.chosenId,
      alt: root.dataset.chosenAlt,
      caption: root.dataset.chosenCaption,
    });
  }
});
