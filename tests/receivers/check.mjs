// Runs the Node.js snippet of docs/RECEIVING.md on a captured delivery.
// Usage: node check.mjs <request.json>; prints "N passed, M failed", exits 1 on failure.
import { readFileSync } from "node:fs";
import { verifyNative, verifyStandard } from "../../docs/receiving/verify.mjs";

const req = JSON.parse(readFileSync(process.argv[2], "utf8"));
const body = Buffer.from(req.body, "utf8");
const tampered = Buffer.from(req.body.replace("FA-", "FB-"), "utf8");
const native = req.headers["pp-svc-webhooks-signature"];
const checks = [];
for (const secret of req.secrets) {
  checks.push([`native, ${secret.slice(0, 10)}…`, verifyNative(native, body, secret) === true]);
  checks.push([`standard, ${secret.slice(0, 10)}…`, verifyStandard(req.headers, body, secret) === true]);
  checks.push(["native rejects a tampered body", verifyNative(native, tampered, secret) === false]);
  checks.push(["standard rejects a tampered body", verifyStandard(req.headers, tampered, secret) === false]);
}
checks.push(["native rejects a wrong secret", verifyNative(native, body, req.wrong_secret) === false]);
checks.push(["standard rejects a wrong secret", verifyStandard(req.headers, body, req.wrong_secret) === false]);
let failed = 0;
for (const [name, ok] of checks) {
  if (!ok) {
    failed++;
    console.log(`FAILED node: ${name}`);
  }
}
console.log(`node: ${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
