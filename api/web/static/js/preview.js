// The document preview (pages/preview.html): a PDF drawn page by page with the vendored PDF.js
// (static/vendor/pdfjs, scripts/refresh-pdfjs), from the same logged download address as the link.
import * as pdfjs from "/static/vendor/pdfjs/pdf.min.mjs";

const box = document.querySelector("[data-pdf-src]");
if (box) {
  const status = box.querySelector("[data-pdf-status]");
  pdfjs.GlobalWorkerOptions.workerSrc = box.dataset.worker;
  try {
    // No eval (the CSP allows none); the session cookie goes with the request (same origin).
    // The character maps make Chinese text in a predefined CMap (STSong-Light, UniGB-UCS2-H) drawable.
    const task = pdfjs.getDocument({
      url: box.dataset.pdfSrc,
      isEvalSupported: false,
      withCredentials: true,
      cMapUrl: "/static/vendor/pdfjs/cmaps/",
      cMapPacked: true,
    });
    const doc = await task.promise;
    status.textContent = box.dataset.labelPages.replace("{n}", String(doc.numPages));
    for (let n = 1; n <= doc.numPages; n += 1) {
      const page = await doc.getPage(n);
      const viewport = page.getViewport({ scale: 1.5 });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.className = "pdf-page";
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", box.dataset.labelPage.replace("{n}", String(n)));
      box.appendChild(canvas);
      await page.render({ canvasContext: canvas.getContext("2d"), viewport, canvas }).promise;
    }
    box.dataset.rendered = String(doc.numPages);
  } catch (error) {
    status.textContent = box.dataset.labelError;
    box.dataset.failed = "1";
  }
}
