/**
 * A form generated from a JSON Schema (the agency payloads, schemas/payloads/*.schema.json), and
 * the form's answers read back into a JSON value of that schema. The schema stays the only source
 * of what can be said: no form is written by hand per agency type.
 *
 *   const field = describeField(schemaNode, baseUri, { name: 's0.housing', pointer: '/subjectResults/0/housing', label: 'Housing' }, body);
 *   const { value, errors, names } = readField(field, body);   // value: the JSON (or undefined when blank)
 *
 * Names are dotted (`s0.housing.sanctuaryScheme.date`), never bracketed, so the flat urlencoded
 * parser keeps them as they are. Widgets follow the GOV.UK Design System:
 * - `format: date` → a date input (`-day`, `-month`, `-year`);
 * - an enum → radios (up to 8 options) or a select;
 * - an array of enum values → checkboxes;
 * - a boolean → Yes / No radios, so "not said" stays absent (a single checkbox could only say
 *   yes or no, and would turn every unanswered question into `false`);
 * - an object → a fieldset of its properties; an array of anything else → repeating groups, with
 *   an "Add another" submit button (`action=add:<name>`) that re-renders the form with one more
 *   group, so no script is needed;
 * - a string longer than 200 characters → a textarea; integers and numbers → a numeric input.
 * Labels and hints come from the schema's `title` and `description`, or the field's name in words.
 */
import type { AnySchemaObject } from 'ajv/dist/2020.js';
import { SchemaWalker } from '../../schema/catalog.js';
import { schemaRegistry } from '../../schema/registry.js';
import { fieldLabel } from '../labels.js';
import { dateInput, text, type FormBody } from './form-values.js';

export type FieldKind = 'text' | 'textarea' | 'integer' | 'number' | 'date' | 'enum' | 'boolean' | 'multi' | 'group' | 'repeat';

export interface Option {
  value: string;
  text: string;
}

export interface FormField {
  kind: FieldKind;
  /** The form name (and element id) of the field; a date's inputs add `-day`, `-month`, `-year`. */
  name: string;
  /** JSON pointer of the value in the whole body, for mapping schema problems back to the field. */
  pointer: string;
  label: string;
  hint?: string;
  required: boolean;
  /** enum and multi: the allowed values in words. */
  options?: Option[];
  /** enum: radios for a few options, a select for more. */
  widget?: 'radios' | 'select';
  /** For inputs: the schema's maxLength, when it has one. */
  maxLength?: number;
  /** group: the object's properties. */
  children?: FormField[];
  /** repeat: one field per group shown (its name ends in `.<index>`). */
  items?: FormField[];
  /** repeat: the most groups the schema allows. */
  maxItems?: number;
  /** repeat: whether another group may be added. */
  canAdd?: boolean;
  /** repeat: the text of its "Add another" button. */
  addText?: string;
}

const MAX_RADIOS = 8;
/** No form grows without bound, whatever the schema allows. */
const MAX_GROUPS = 50;

let walker: SchemaWalker | undefined;
function schemaWalker(): SchemaWalker {
  walker ??= new SchemaWalker(schemaRegistry().documents());
  return walker;
}

/** A payload schema (`schemas/payloads/<file>`) and the base its `$ref`s resolve from. */
export function payloadSchema(file: string): { node: AnySchemaObject; base: string } {
  const base = `https://marac-gateway.example/schemas/payloads/${file}`;
  const node = schemaRegistry().documents().get(base);
  if (!node) throw new Error(`no payload schema ${file}`);
  return { node, base };
}

/** `TEMP_ACCOMMODATION` → "Temp accommodation"; `nhs-number` → "Nhs number". */
export function enumText(v: string | number): string {
  const s = String(v).replace(/[_-]+/g, ' ').trim().toLowerCase();
  const words = s.replace(/\b(asb|nhs|pnc|uprn|upn|la|gp|ed|dvpn|dvpo|nmo|rmo|rsl|mappa|marac|cp|cin|lac|rosh|idva|s47|s42|mh|uk)\b/g, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** How many groups of a repeating field to show: the count the form carried, plus one after "Add another". */
export function groupCount(body: FormBody, name: string, action?: string): number {
  const raw = Number(text(body, `${name}.count`, 4));
  const shown = Number.isInteger(raw) && raw >= 1 ? Math.min(raw, MAX_GROUPS) : 1;
  return action === `add:${name}` ? Math.min(shown + 1, MAX_GROUPS) : shown;
}

export interface DescribeAt {
  name: string;
  pointer: string;
  label?: string;
  required?: boolean;
}

/**
 * The form field for a schema node. `body` and `action` only decide how many groups each
 * repeating field shows (what was shown before, plus one after "Add another").
 */
export function describeField(node: AnySchemaObject, base: string, at: DescribeAt, body: FormBody = {}, action?: string): FormField {
  const r = schemaWalker().resolve(node, base);
  const n = r.node;
  const segment = at.name.split('.').pop()!;
  const label = at.label ?? (typeof n.title === 'string' ? n.title : fieldLabel(segment));
  const common = {
    name: at.name,
    pointer: at.pointer,
    label,
    required: at.required === true,
    ...(typeof n.description === 'string' ? { hint: n.description } : {}),
  };
  if (Array.isArray(n.enum)) {
    const options = n.enum.map((v: string | number) => ({ value: String(v), text: enumText(v) }));
    return { ...common, kind: 'enum', options, widget: options.length <= MAX_RADIOS ? 'radios' : 'select' };
  }
  switch (n.type) {
    case 'boolean':
      return { ...common, kind: 'boolean', options: [{ value: 'true', text: 'Yes' }, { value: 'false', text: 'No' }] };
    case 'integer':
      return { ...common, kind: 'integer' };
    case 'number':
      return { ...common, kind: 'number' };
    case 'string': {
      if (n.format === 'date') return { ...common, kind: 'date' };
      const max = typeof n.maxLength === 'number' ? n.maxLength : undefined;
      return { ...common, kind: max !== undefined && max <= 200 ? 'text' : 'textarea', ...(max !== undefined ? { maxLength: max } : {}) };
    }
    case 'object': {
      const required = new Set<string>(Array.isArray(n.required) ? n.required : []);
      const props = (n.properties ?? {}) as Record<string, AnySchemaObject>;
      const children = Object.entries(props).map(([key, child]) =>
        describeField(child, r.base, { name: `${at.name}.${key}`, pointer: `${at.pointer}/${key}`, required: required.has(key) }, body, action));
      return { ...common, kind: 'group', children };
    }
    case 'array': {
      const item = schemaWalker().resolve(n.items as AnySchemaObject, r.base).node;
      if (Array.isArray(item.enum)) {
        return { ...common, kind: 'multi', options: item.enum.map((v: string | number) => ({ value: String(v), text: enumText(v) })) };
      }
      const maxItems = Math.min(typeof n.maxItems === 'number' ? n.maxItems : MAX_GROUPS, MAX_GROUPS);
      const count = Math.min(groupCount(body, at.name, action), maxItems);
      const itemLabel = singular(label);
      const items = Array.from({ length: count }, (_x, i) =>
        describeField(n.items as AnySchemaObject, r.base, { name: `${at.name}.${i}`, pointer: `${at.pointer}/${i}`, label: `${itemLabel} ${i + 1}` }, body, action));
      const lower = /^[A-Z]{2}/.test(itemLabel) ? itemLabel : itemLabel.charAt(0).toLowerCase() + itemLabel.slice(1);
      return { ...common, kind: 'repeat', items, maxItems, canAdd: count < maxItems, addText: `Add another ${lower}` };
    }
    default:
      throw new Error(`schema-form: no widget for ${JSON.stringify(n.type)} at ${at.name}`);
  }
}

function singular(label: string): string {
  if (/children$/i.test(label)) return label.replace(/ren$/, '');
  if (/ies$/.test(label)) return label.replace(/ies$/, 'y');
  if (/[^s]s$/.test(label)) return label.replace(/s$/, '');
  return label;
}

export interface ReadError {
  /** The id to link to: the field's name, or `<name>-day` for a date. */
  field: string;
  message: string;
}

export interface ReadResult {
  value: unknown;
  errors: ReadError[];
  /** JSON pointer (in the body that was built) → the field's id, and the field's label. */
  fields: Map<string, { id: string; label: string }>;
}

/** Whether the form holds anything for the field (or a field inside it). */
function anyValue(body: FormBody, name: string): boolean {
  for (const [k, v] of Object.entries(body)) {
    if (k !== name && !k.startsWith(`${name}.`) && !k.startsWith(`${name}-`)) continue;
    if (k.endsWith('.count')) continue;
    const vs = Array.isArray(v) ? v : [v];
    if (vs.some((x) => typeof x === 'string' && x.trim() !== '')) return true;
  }
  return false;
}

/**
 * The JSON value the form's answers make for a field: undefined when nothing was given. Problems
 * the schema cannot describe in words (a date that does not exist, letters in a number) come back
 * as errors; everything else is for the schema's own validation (map its problems with `fields`).
 */
export function readField(field: FormField, body: FormBody): ReadResult {
  const errors: ReadError[] = [];
  const fields = new Map<string, { id: string; label: string }>();
  const value = read(field, field.pointer, body, errors, fields);
  return { value, errors, fields };
}

function read(f: FormField, pointer: string, body: FormBody, errors: ReadError[], fields: ReadResult['fields']): unknown {
  const id = f.kind === 'date' ? `${f.name}-day` : f.name;
  fields.set(pointer, { id, label: f.label });
  switch (f.kind) {
    case 'text':
    case 'textarea': {
      const v = text(body, f.name, (f.maxLength ?? 4000) + 1);
      return v === '' ? undefined : v;
    }
    case 'integer':
    case 'number': {
      const v = text(body, f.name, 30);
      if (v === '') return undefined;
      const ok = f.kind === 'integer' ? /^-?\d{1,12}$/.test(v) : /^-?\d{1,12}(\.\d{1,12})?$/.test(v);
      if (!ok) {
        errors.push({ field: id, message: `${f.label} must be ${f.kind === 'integer' ? 'a whole number' : 'a number'}` });
        return undefined;
      }
      return Number(v);
    }
    case 'date': {
      const d = dateInput(body, f.name);
      if (d.kind === 'empty') return undefined;
      if (d.kind === 'invalid') {
        errors.push({ field: id, message: `${f.label} ${d.message}` });
        return undefined;
      }
      return d.iso;
    }
    case 'enum': {
      const v = text(body, f.name, 200);
      if (v === '') return undefined;
      if (!f.options!.some((o) => o.value === v)) {
        errors.push({ field: id, message: `Select ${f.label.toLowerCase()} from the list` });
        return undefined;
      }
      // Integer enums (e.g. a MAPPA level) go back as numbers.
      return /^-?\d+$/.test(v) && !Number.isNaN(Number(v)) && f.options!.every((o) => /^-?\d+$/.test(o.value)) ? Number(v) : v;
    }
    case 'boolean': {
      const v = text(body, f.name, 10);
      return v === 'true' ? true : v === 'false' ? false : undefined;
    }
    case 'multi': {
      const raw = body[f.name];
      const vs = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((x) => f.options!.some((o) => o.value === x));
      return vs.length ? [...new Set(vs)] : undefined;
    }
    case 'group': {
      if (!anyValue(body, f.name)) {
        // Still mapped, so "required" at a parent can point at a child.
        for (const c of f.children!) fields.set(`${pointer}/${c.name.split('.').pop()}`, { id: firstId(c), label: c.label });
        return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const c of f.children!) {
        const key = c.name.split('.').pop()!;
        const v = read(c, `${pointer}/${key}`, body, errors, fields);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    case 'repeat': {
      // Blank groups are dropped; the others keep their order, and their pointers follow.
      const out: unknown[] = [];
      for (const item of f.items!) {
        if (!anyValue(body, item.name)) continue;
        const v = read(item, `${pointer}/${out.length}`, body, errors, fields);
        if (v !== undefined) out.push(v);
      }
      return out.length ? out : undefined;
    }
  }
}

/** The id of the first input of a field (for linking to a group). */
export function firstId(f: FormField): string {
  if (f.kind === 'date') return `${f.name}-day`;
  if (f.kind === 'group') return f.children!.length ? firstId(f.children![0]!) : f.name;
  if (f.kind === 'repeat') return f.items!.length ? firstId(f.items![0]!) : f.name;
  return f.name;
}

/** A schema problem (ajv's keyword, pointer-addressed) in words for a person. */
export function problemText(code: string, label: string, message: string): string {
  switch (code) {
    case 'required':
      return `Enter ${label.toLowerCase()}`;
    case 'pattern':
    case 'format':
      return `${label} is not in the right format`;
    case 'maxLength':
      return `${label} is too long (${message.replace(/^must NOT have more than /, '').replace(/ characters$/, '')} characters at most)`;
    case 'minimum':
    case 'maximum':
      return `${label} ${message.replace(/^must be /, 'must be ')}`;
    case 'enum':
      return `Select ${label.toLowerCase()} from the list`;
    case 'minProperties':
    case 'minItems':
      return `Give at least one detail for ${label.toLowerCase()}`;
    default:
      return `${label}: ${message}`;
  }
}

/**
 * Form values that show a JSON value in the field (for a form filled from a saved answer, and for
 * tests that fill a form from a sample answer).
 */
export function formValuesFor(f: FormField, value: unknown, out: FormBody = {}): FormBody {
  if (value === undefined || value === null) return out;
  switch (f.kind) {
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
      if (m) {
        out[`${f.name}-day`] = String(Number(m[3]));
        out[`${f.name}-month`] = String(Number(m[2]));
        out[`${f.name}-year`] = m[1]!;
      }
      return out;
    }
    case 'multi':
      out[f.name] = (value as unknown[]).map(String);
      return out;
    case 'group':
      for (const c of f.children!) formValuesFor(c, (value as Record<string, unknown>)[c.name.split('.').pop()!], out);
      return out;
    case 'repeat': {
      const list = value as unknown[];
      out[`${f.name}.count`] = String(Math.max(1, list.length));
      const item = f.items![0]!;
      list.forEach((v, i) => formValuesFor(renamed(item, `${f.name}.${i}`), v, out));
      return out;
    }
    default:
      out[f.name] = String(value);
      return out;
  }
}

/** A field with its name (and its children's) moved under another prefix. */
function renamed(f: FormField, name: string): FormField {
  const from = f.name;
  const move = (x: FormField): FormField => ({
    ...x,
    name: name + x.name.slice(from.length),
    ...(x.children ? { children: x.children.map(move) } : {}),
    ...(x.items ? { items: x.items.map(move) } : {}),
  });
  return move(f);
}
