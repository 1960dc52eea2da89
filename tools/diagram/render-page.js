// Runs in the headless browser page of render-check.ts, after mermaid.min.js: renders one diagram
// into a column of the given width, as GitHub shows it (the SVG scaled down to fit, never up), and
// measures it. Plain browser JavaScript: the project's TypeScript has no DOM types.
/* global window, document, getComputedStyle, Node */

window.measureDiagram = async (source, index, column) => {
  const host = document.createElement('div');
  host.id = `diagram-${index}`;
  host.style.width = `${column}px`;
  host.style.padding = '0';
  host.style.background = 'white';
  document.body.appendChild(host);
  const { svg } = await window.mermaid.render(`mermaid-${index}`, source);
  host.innerHTML = svg;
  const element = host.querySelector('svg');
  const natural = element.viewBox.baseVal;
  const shown = element.getBoundingClientRect();
  const scale = shown.width / natural.width;

  // The smallest text: every element with text of its own, its font size times the fit-to-column scale.
  let smallest = { px: Infinity, text: '' };
  for (const el of element.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
    if (!own || el.closest('style, title, desc')) continue;
    const px = parseFloat(getComputedStyle(el).fontSize) * scale;
    if (px < smallest.px) smallest = { px, text: el.textContent.trim().slice(0, 60) };
  }
  return {
    width: natural.width,
    height: natural.height,
    shownWidth: shown.width,
    shownHeight: shown.height,
    smallestTextPx: smallest.px,
    smallestText: smallest.text,
  };
};
