// Parse Mermaid diagrams with Mermaid's own parser, without a browser.
// stdin: a JSON array of diagram sources; stdout: a JSON array of
// {ok, type} or {ok: false, error} in the same order.
// Mermaid needs a DOM for its sanitiser only; jsdom provides it.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
// The DOM names Mermaid's sanitiser (DOMPurify) reaches for as globals, as in a browser.
for (const name of ["window", "document", "Element", "HTMLElement", "Node", "DocumentFragment",
                    "DOMParser", "NodeFilter", "NamedNodeMap", "HTMLTemplateElement"]) {
  globalThis[name] ??= name === "window" ? dom.window : dom.window[name];
}
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const source of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(source);
    results.push({ ok: true, type: parsed.diagramType });
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error).split("\n").slice(0, 4).join("\n") });
  }
}
process.stdout.write(JSON.stringify(results));
