/**
 * Media types (RFC 9110 §8.3.1) as the CloudEvents `datacontenttype` and HTTP `Content-Type`
 * carry them. The producer's text is kept as given; only its essence (`type/subtype`, lower
 * case) decides how the data is checked and shown.
 */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[^"\\\\\\x00-\\x08\\x0a-\\x1f\\x7f]|\\\\[\\x09\\x20-\\x7e\\x80-\\xff])*"';
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})(?:[ \\t]*;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|${QUOTED}))?)*[ \\t]*$`);

/** Producers send a handful of content types: each is parsed once, not on every event (0.12 µs). */
const RECENT_ESSENCES = 256;
const recentEssences = new Map<string, string | null>();

/** `type/subtype` of a media type, lower case; null when the text is not a media type. */
export function mediaTypeEssence(value: string): string | null {
  let essence = recentEssences.get(value);
  if (essence === undefined) {
    const match = MEDIA_TYPE.exec(value.trim());
    essence = match === null ? null : `${match[1]}/${match[2]}`.toLowerCase();
    if (value.length <= 200) {
      if (recentEssences.size >= RECENT_ESSENCES) recentEssences.clear();
      recentEssences.set(value, essence);
    }
  }
  return essence;
}


/** Returns why `value` is not a media type, or null when it is. */
export function mediaTypeProblem(value: string): string | null {
  if (value.trim() === '') return 'the content type is empty';
  if (mediaTypeEssence(value) === null) return `"${value.slice(0, 80)}" is not a media type (like application/json or text/plain; charset=utf-8)`;
  return null;
}

/** JSON data: `application/json`, `text/json` and any `…/…+json` (the CloudEvents JSON format's rule). */
export function isJsonEssence(essence: string): boolean {
  return essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json');
}

/** Data that is text: shown as a string in the structured CloudEvent when its bytes are UTF-8. */
export function isTextEssence(essence: string): boolean {
  return (
    essence.startsWith('text/') ||
    essence.endsWith('+xml') ||
    essence === 'application/xml' ||
    essence === 'application/x-www-form-urlencoded' ||
    essence === 'application/javascript' ||
    essence === 'application/x-ndjson'
  );
}

/** Is data of this content type JSON? Unparseable content types are not. */
export function isJsonContentType(value: string): boolean {
  const essence = mediaTypeEssence(value);
  return essence !== null && isJsonEssence(essence);
}
