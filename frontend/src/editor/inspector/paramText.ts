/** Text <-> value for the inspector's tuple, list and JSON fields (pure, unit-tested). */

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** "32, 32, 3" -> [32, 32, 3]; "None, 64" -> [null, 64]; "" -> undefined (unset). */
export function parseTuple(text: string, allowNone: boolean): Parsed {
  const t = text
    .trim()
    .replace(/^[([]|[)\]]$/g, '')
    .trim();
  if (!t) return { ok: true, value: undefined };
  const parts = t.split(/[\s,]+/).filter(Boolean);
  const out: (number | null)[] = [];
  for (const p of parts) {
    if (/^(none|null|\?)$/i.test(p)) {
      if (!allowNone) return { ok: false, error: `“${p}” is not allowed here: give a whole number` };
      out.push(null);
    } else if (/^-?\d+$/.test(p)) out.push(Number(p));
    else return { ok: false, error: `“${p}” is not a whole number` };
  }
  return { ok: true, value: out };
}

export function tupleText(v: unknown): string {
  if (Array.isArray(v)) return v.map((d) => (d === null ? 'None' : String(d))).join(', ');
  if (v === null || v === undefined) return '';
  return String(v);
}

/** "accuracy, auc" -> ["accuracy", "auc"]. */
export function parseList(text: string): Parsed {
  const t = text.trim();
  if (!t) return { ok: true, value: [] };
  if (t.startsWith('[')) return parseJson(t);
  return {
    ok: true,
    value: t
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

export function listText(v: unknown): string {
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(', ');
  if (v === undefined || v === null) return '';
  return JSON.stringify(v);
}

export function parseJson(text: string): Parsed {
  const t = text.trim();
  if (!t) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
}

/** Number fields: "" -> undefined (use the default); nullable "None" -> null. */
export function parseNumber(text: string, integer: boolean, nullable: boolean): Parsed {
  const t = text.trim();
  if (!t) return { ok: true, value: undefined };
  if (nullable && /^(none|null)$/i.test(t)) return { ok: true, value: null };
  const n = Number(t);
  if (!Number.isFinite(n)) return { ok: false, error: `“${t}” is not a number` };
  if (integer && !Number.isInteger(n)) return { ok: false, error: `“${t}” is not a whole number` };
  return { ok: true, value: n };
}

/** Strings that name a Keras object ("relu", "he_normal") or JSON for a config object. */
export function parseNameOrJson(text: string): Parsed {
  const t = text.trim();
  if (!t) return { ok: true, value: undefined };
  if (t.startsWith('{') || t.startsWith('[')) return parseJson(t);
  if (/^(none|null)$/i.test(t)) return { ok: true, value: null };
  return { ok: true, value: t };
}
