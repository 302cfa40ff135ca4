// Translation: t() over the FR/EN string tables, and the API's error codes (field errors and
// problem codes) as French and English text.
import { state } from './state.js';
import fr from './i18n-fr.js';
import en from './i18n-en.js';

const STRINGS = { fr, en };

/** Translated string; functions in the table take `args`. */
export function t(key, ...args) {
  const v = STRINGS[state.lang][key] ?? STRINGS.fr[key];
  if (typeof v === 'function') return v(...args);
  return v ?? key;
}

/** Whether `lang`'s table has `key` (no French fallback). */
export const hasKey = (key, lang = state.lang) => !!STRINGS[lang][key];

export const locale = () => (state.lang === 'fr' ? 'fr-FR' : 'en-GB');

// Field errors (`errors[].code`), worded to sit next to their field; `{name}` is a param.
const FIELD_CODES = {
  fr: {
    'url.too_long': '{max} caractères au plus',
    'url.not_absolute': 'doit être une URL absolue ({detail})',
    'url.https_required': 'doit utiliser https://',
    'url.scheme': 'doit être une URL http(s)',
    'url.no_host': 'doit comporter un nom d’hôte',
    'url.credentials': 'ne doit pas contenir d’identifiants (utilisateur:mot de passe@)',
    'url.fragment': 'ne doit pas contenir de fragment (#…)',
    'url.non_public': 'ne doit pas viser une adresse non publique ({range})',
    'description.too_long': '{max} caractères au plus',
    'event_types.count': 'doit comporter entre {min} et {max} types d’événements',
    'event_types.unknown': 'type d’événement inconnu « {value} »',
    'headers.too_many': '{max} en-têtes au plus',
    'headers.name_invalid': 'un nom d’en-tête compte de 1 à {max} lettres, chiffres ou !#$%&\'*+-.^_`|~',
    'headers.reserved': 'cet en-tête est fixé par le service et ne peut pas être remplacé',
    'headers.value_invalid': 'une valeur d’en-tête compte au plus {max} caractères ASCII imprimables',
    'headers.duplicate': 'nom d’en-tête en double (majuscules et minuscules ne comptent pas)',
    'filter.too_long': '{max} caractères au plus',
    'filter.empty': 'ne doit pas être vide',
    'filter.syntax': 'erreur de syntaxe ligne {line}, colonne {column} : {detail}',
    'filter.unknown_variable': 'variable inconnue « {name} » (possibles : {allowed})',
    'filter.invalid': 'filtre invalide ({detail})',
    'event_type.unknown': 'type d’événement inconnu « {value} »',
    'event_data.not_object': 'doit être un objet JSON',
    'event_data.schema': 'ne respecte pas le schéma ({rule}) : {detail}',
    'event_id.invalid': 'doit compter de 1 à {max} caractères imprimables',
    'tenant_id.invalid': 'identifiant de client (tenant_id) invalide',
    'recipients.too_many': '{max} adresses au plus',
    'recipients.invalid_email': 'doit être une adresse e-mail',
    'events.unknown': 'doit être parmi : {allowed}',
    'body.too_large': 'dépasse {max} octets',
    'json.invalid': 'JSON invalide ({detail})',
    'query.invalid': 'paramètre invalide ({detail})',
    'status.unknown': 'statut inconnu',
    'cursor.invalid': 'n’est pas un curseur renvoyé par cette liste',
    '*.too_large': 'dépasse {max} octets',
    '*.too_long': '{max} caractères au plus',
    '*.not_object': 'doit être un objet JSON',
    '*.out_of_range': 'doit être entre {min} et {max}',
  },
  en: {
    'url.too_long': 'must be at most {max} characters',
    'url.not_absolute': 'must be an absolute URL ({detail})',
    'url.https_required': 'must use https://',
    'url.scheme': 'must be an http(s) URL',
    'url.no_host': 'must have a host name',
    'url.credentials': 'must not contain credentials (user:password@)',
    'url.fragment': 'must not contain a fragment (#…)',
    'url.non_public': 'must not point at a non-public address ({range})',
    'description.too_long': 'must be at most {max} characters',
    'event_types.count': 'must list between {min} and {max} event types',
    'event_types.unknown': 'unknown event type “{value}”',
    'headers.too_many': 'at most {max} headers',
    'headers.name_invalid': 'header names are 1 to {max} letters, digits or !#$%&\'*+-.^_`|~',
    'headers.reserved': 'this header is set by the service and cannot be overridden',
    'headers.value_invalid': 'header values are at most {max} printable ASCII characters',
    'headers.duplicate': 'duplicate header name (names are case-insensitive)',
    'filter.too_long': 'must be at most {max} characters',
    'filter.empty': 'must not be empty',
    'filter.syntax': 'syntax error at line {line}, column {column}: {detail}',
    'filter.unknown_variable': 'unknown variable “{name}” (allowed: {allowed})',
    'filter.invalid': 'invalid filter ({detail})',
    'event_type.unknown': 'unknown event type “{value}”',
    'event_data.not_object': 'must be a JSON object',
    'event_data.schema': 'breaks the schema ({rule}): {detail}',
    'event_id.invalid': 'must be 1 to {max} printable characters',
    'tenant_id.invalid': 'invalid tenant id',
    'recipients.too_many': 'at most {max} addresses',
    'recipients.invalid_email': 'must be an email address',
    'events.unknown': 'must be one of: {allowed}',
    'body.too_large': 'exceeds {max} bytes',
    'json.invalid': 'invalid JSON ({detail})',
    'query.invalid': 'invalid parameter ({detail})',
    'status.unknown': 'unknown status',
    'cursor.invalid': 'is not a cursor returned by this listing',
    '*.too_large': 'exceeds {max} bytes',
    '*.too_long': 'must be at most {max} characters',
    '*.not_object': 'must be a JSON object',
    '*.out_of_range': 'must be between {min} and {max}',
  },
};

// Problem codes whose meaning does not depend on the request; the others show `detail`.
const PROBLEM_CODES = {
  fr: {
    conflict: 'La ressource a été modifiée en même temps par ailleurs : rechargez la page puis réessayez.',
    busy: 'Le service est momentanément surchargé : réessayez dans quelques secondes.',
    internal: 'Le service a rencontré une erreur interne (elle a été journalisée). Réessayez plus tard.',
    timeout: 'La requête n’a pas abouti à temps : vérifiez si elle a pris effet, puis réessayez.',
    bad_body: 'Le corps de la requête est illisible ({detail}).',
    'message.not_failed': 'Seul un message en échec peut être rejoué.',
  },
  en: {
    conflict: 'The resource was modified concurrently: reload the page and try again.',
    busy: 'The service is busy: try again in a few seconds.',
    internal: 'The service hit an internal error (it has been logged). Try again later.',
    timeout: 'The request did not finish in time: check whether it took effect, then try again.',
    bad_body: 'The request body could not be read ({detail}).',
    'message.not_failed': 'Only a failed message can be replayed.',
  },
};

/** `template` with each `{name}` replaced by `params[name]` (lists joined), or null when
 *  a named param is missing. */
export function fill(template, params) {
  let missing = false;
  const out = template.replace(/\{(\w+)\}/g, (_, name) => {
    const v = params ? params[name] : undefined;
    if (v == null) {
      missing = true;
      return '';
    }
    return Array.isArray(v) ? v.join(', ') : String(v);
  });
  return missing ? null : out;
}

/** The template for a field error code: exact, else by suffix (`<any field>.too_large`). */
function fieldTemplate(code, lang) {
  const table = FIELD_CODES[lang];
  if (typeof code !== 'string' || !code) return null;
  if (Object.hasOwn(table, code)) return table[code];
  const dot = code.lastIndexOf('.');
  const wildcard = dot > 0 ? `*${code.slice(dot)}` : null;
  return wildcard && Object.hasOwn(table, wildcard) ? table[wildcard] : null;
}

/** A field error (`{ field, code, message, params }`) in the UI's language; the English
 *  `message` when the code is unknown (or absent, as from an older server). */
export function fieldErrorText(e, lang = state.lang) {
  const tpl = fieldTemplate(e && e.code, lang);
  const text = tpl ? fill(tpl, e.params || {}) : null;
  return text ?? (e ? e.message : '') ?? '';
}

/** A problem's own sentence for its top-level `code`, or null (then its `detail` stands). */
export function problemText(problem, lang = state.lang) {
  const code = problem && problem.code;
  if (typeof code !== 'string' || !Object.hasOwn(PROBLEM_CODES[lang], code)) return null;
  return fill(PROBLEM_CODES[lang][code], { detail: problem.detail || null });
}
