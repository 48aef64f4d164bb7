// One operator action through radbridge's web console in Debian's Chromium
// (playwright-core), for tests that drive a whole engine:
//
//   node console_act.mjs URL TOKEN mode ROUTE MODE REASON
//   node console_act.mjs URL TOKEN requeue DESTINATION
//
// `mode` switches ROUTE on the Routes page and waits for "now MODE";
// `requeue` presses Requeue on the first dead letter of DESTINATION and waits
// for "requeued". Prints "ok ACTION", or "FAIL ACTION: what the page showed"
// and exits 1.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

const [url, token, act, ...args] = process.argv.slice(2);
const executablePath = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => existsSync(p));
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const page = await browser.newPage();
let code = 0;
try {
  await page.goto(url);
  await page.fill("#token", token);
  await page.click("#sign-in button");
  await page.locator("#who", { hasText: "(operator)" }).waitFor({ timeout: 10000 });
  if (act === "mode") {
    const [route, mode, reason] = args;
    await page.click("text=Routes");
    await page.selectOption(`select[aria-label='mode of ${route}']`, mode);
    await page.fill(`input[aria-label='reason to change ${route}']`, reason);
    await page.locator("tr", { hasText: route }).locator("button", { hasText: "Switch" }).click();
    await page.locator(".ok", { hasText: `now ${mode}` }).waitFor({ timeout: 10000 });
  } else if (act === "requeue") {
    const [destination] = args;
    await page.click("text=Dead letters");
    await page.locator("tr", { hasText: destination }).first().locator("button", { hasText: "Requeue" }).click();
    await page.locator(".ok", { hasText: "requeued" }).waitFor({ timeout: 10000 });
  } else {
    throw new Error(`no action ${act}`);
  }
  console.log(`ok ${act}`);
} catch (e) {
  code = 1;
  console.log(`FAIL ${act}: ${e.message.split("\n")[0]}; page: ${(await page.textContent("main")).slice(0, 400)}`);
}
await browser.close();
process.exit(code);
