"""What the accessibility test measures in a page: axe-core's violations and the tap targets.

axe-core comes from npm (tests/e2e/axe/package.json, pinned in its package-lock.json, installed by
`make test`) and is injected into the page by Playwright: nothing the app serves changes.

A tap target is every visible a, button, input, select, summary and [role=button]. Its size is its
bounding box; for a form control with a <label>, the largest of its own box and its labels' boxes
(tapping the label works the control). A target is small when it is under 44 px wide or high.

One exception, WCAG 2.5.8's "inline" one: a text link inside prose. A link is inside prose when it
is laid out inline (computed display: inline), its nearest p, li, td, dd or heading holds it, and
that container has other visible text around the link (a sentence with a link in it, such as
「共 6 个」 with the 6 linked). A phone number (tel:) is never prose: it is there to be tapped. A
link alone in its cell or list item is a target like any other."""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("critical", "serious")

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + (n.failureSummary ? ' :: ' + n.failureSummary.split('\\n').slice(1, 2).join('') : ''))}));
}"""

TAP_TARGETS = """() => {
  const MIN = 44;
  const visible = el => el.checkVisibility({opacityProperty: true, visibilityProperty: true});
  const box = el => {
    let r = el.getBoundingClientRect(), w = r.width, h = r.height;
    for (const label of el.labels || []) {
      if (!visible(label)) continue;
      const l = label.getBoundingClientRect();
      if (l.width * l.height > w * h) { w = l.width; h = l.height; }
    }
    return [w, h];
  };
  const inProse = el => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    if (el.protocol === 'tel:') return false;  // a phone number is there to be tapped
    const block = el.closest('p, li, td, dd, h1, h2, h3, h4, h5, h6');
    if (!block) return false;
    const around = block.innerText.replace(el.innerText, '').replace(/\\s+/g, '');
    return around.length > 0;
  };
  const name = el => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim();
    return el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : '') + ' "' + text.slice(0, 20) + '"';
  };
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input, select, summary, [role=button]')) {
    if (el.type === 'hidden' || !visible(el)) continue;
    const [w, h] = box(el);
    if (w === 0 && h === 0) continue;
    if ((w < MIN || h < MIN) && !inProse(el)) small.push(name(el) + ' ' + Math.round(w) + 'x' + Math.round(h));
  }
  return small;
}"""

DUPLICATE_IDS = """() => {
  const seen = {};
  for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
  return Object.entries(seen).filter(([, n]) => n > 1).map(([id, n]) => id + ' x' + n);
}"""


def audit(page) -> dict:
    """axe's violations (every impact), the small tap targets and the repeated ids of the page, with
    every <details> opened: what a tap on a summary shows (data tables, action forms) is measured too."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.add_script_tag(path=str(AXE))
    return {"axe": page.evaluate(RUN_AXE), "small_targets": page.evaluate(TAP_TARGETS),
            "duplicate_ids": page.evaluate(DUPLICATE_IDS)}


def failures(found: dict) -> list[str]:
    """What fails the test: critical and serious axe violations, small targets, repeated ids."""
    out = [f"axe {v['impact']} {v['id']} ({v['help']}): {v['nodes'][:3]} ({len(v['nodes'])} elements)"
           for v in found["axe"] if v["impact"] in FAILING_IMPACTS]
    out += [f"tap target under 44x44: {t}" for t in found["small_targets"]]
    out += [f"duplicate id: {d}" for d in found["duplicate_ids"]]
    return out
