// The category vocabulary as server/stream/events.py declares it: the CATEGORIES dict literal,
// read up to its closing brace, so text written after it (checks, docstrings) is never taken for
// a category.
import { readFileSync } from "node:fs";

export function categoriesOfEventsPy() {
  const py = readFileSync(new URL("../../server/stream/events.py", import.meta.url), "utf8");
  const start = py.indexOf("CATEGORIES: dict");
  const end = py.indexOf("\n}\n", start);
  if (start < 0 || end < 0) throw new Error("CATEGORIES dict not found in server/stream/events.py");
  const found = [];
  let kind = null;
  for (const line of py.slice(start, end).split("\n")) {
    const k = line.match(/Kind\.(\w+): \(/);
    if (k) kind = k[1].toLowerCase();
    for (const m of line.matchAll(/"(\w+)"/g)) found.push([kind, m[1]]);
  }
  return found;
}
