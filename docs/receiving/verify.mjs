import { createHmac, timingSafeEqual } from "node:crypto";

const TOLERANCE = 300; // seconds
const fresh = (t) => Math.abs(Date.now() / 1000 - Number(t)) <= TOLERANCE;
const same = (a, b) => a.length === b.length && timingSafeEqual(a, b);

// pp-svc-webhooks-signature: t=<unix>,sig=<hex>[,sig=<hex>]; body is the raw Buffer.
export function verifyNative(header, body, secret) {
  const parts = header.split(",").map((p) => p.split("="));
  const t = parts.find(([k]) => k === "t")?.[1];
  if (!t || !fresh(t)) return false;
  const expected = createHmac("sha256", secret).update(`${t}.`).update(body).digest();
  return parts.some(([k, v]) => k === "sig" && same(Buffer.from(v, "hex"), expected));
}

// Standard Webhooks v1: webhook-id, webhook-timestamp, webhook-signature: v1,<base64>[ v1,<base64>]
export function verifyStandard(headers, body, secret) {
  const id = headers["webhook-id"], t = headers["webhook-timestamp"], sigs = headers["webhook-signature"];
  if (!id || !t || !sigs || !fresh(t)) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${t}.`).update(body).digest();
  return sigs.split(" ").some((s) => s.startsWith("v1,") && same(Buffer.from(s.slice(3), "base64"), expected));
}
