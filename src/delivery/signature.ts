import { createHmac } from 'node:crypto';

/**
 * The Standard Webhooks signature: `v1,` and the base64 HMAC-SHA256 of
 * `{webhook-id}.{webhook-timestamp}.{body}` under the secret's key. Signed here over the
 * body's exact bytes with node:crypto: the `standardwebhooks` package turns a Buffer body
 * into a UTF-8 string before signing, which changes any body that is not valid UTF-8
 * (protobuf, images), so its signature would not match the bytes sent. For UTF-8 bodies the
 * two agree, and the tests verify every request with the package.
 */
export function webhookSignature(key: Uint8Array, id: string, timestampSeconds: number, body: Uint8Array): string {
  const hmac = createHmac('sha256', key);
  hmac.update(`${id}.${timestampSeconds}.`);
  hmac.update(body);
  return `v1,${hmac.digest('base64')}`;
}
