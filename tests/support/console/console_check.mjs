// Drives radbridge's web console in Debian's Chromium (headless) with
// playwright-core, as an operator and as a viewer would.
//
//   node console_check.mjs URL OPERATOR_TOKEN VIEWER_TOKEN SHOTS_DIR REVIEWER_TOKEN
//
// The engine behind URL holds the api_fixture's data (tests/engine/admin):
// message C3 (an ORM) started the job for study A1, dead letter 1 waits on
// destination ris, route stroke runs silent; A1's job found a hemorrhage,
// B1's found none and D1's found one, both as their reports say. Steps: a
// wrong token is refused; the operator signs in, finds C3 by control id,
// opens its study trail, sees A1 on the worklist, requeues dead letter 1,
// switches stroke to active; the viewer sees no action buttons and no
// message text; the reviewer disagrees with A1's finding and reads the
// route's validation (its confusion table, ROC and weekly agreement) and
// its drift monitors. Prints "ok STEP" per step, or
// "FAIL STEP: what was seen" and exits 1; a screenshot of each page goes to
// SHOTS_DIR.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

const [url, operatorToken, viewerToken, shots, reviewerToken] = process.argv.slice(2);
const executablePath = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => existsSync(p));
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
let failed = false;

async function step(name, page, run) {
  try {
    await run();
    await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    console.log(`ok ${name}`);
  } catch (e) {
    failed = true;
    console.log(`FAIL ${name}: ${e.message.split("\n")[0]}; page: ${(await page.textContent("main")).slice(0, 400)}`);
  }
}
const expectText = async (page, selector, text) => {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout: 10000 });
};

async function signIn(page, token) {
  await page.goto(url);
  await page.fill("#token", token);
  await page.click("#sign-in button");
}

const operator = await browser.newPage();
const errors = [];
operator.on("pageerror", (e) => errors.push(e.message));
await step("wrong-token", operator, async () => {
  await signIn(operator, "not-a-token");
  await expectText(operator, "#sign-in-error", "a bearer token of admin.tokens_file is required");
});
await step("dashboard", operator, async () => {
  await signIn(operator, operatorToken);
  await expectText(operator, "#who", "otto (operator)");
  await expectText(operator, "td", "ehr");
  await expectText(operator, ".tile", "dead letters");
  await expectText(operator, ".tile", "messages/min");
});
await step("message-search", operator, async () => {
  await operator.click("text=Messages");
  await operator.fill("input[name=control_id]", "C3");
  await operator.click("form.inline button");
  await expectText(operator, "td", "ORM^O01");
  await operator.click("a[href='#/messages/3']");
  await expectText(operator, "h1", "Message 3: ORM^O01 C3");
});
await step("study-trail", operator, async () => {
  await operator.click("a[href='#/studies/A1']");
  await expectText(operator, "h1", "Study A1");
  await expectText(operator, ".timeline li", "job 1 on route stroke (active) started by message C3");
});
await step("worklist", operator, async () => {
  await operator.click("text=Worklist");
  await expectText(operator, "tr", "critical");
  await expectText(operator, "a[href='#/studies/A1']", "A1");
});
await step("dead-letter-requeue", operator, async () => {
  await operator.click("text=Dead letters");
  await expectText(operator, "td", "gave up after 3 attempts: unreachable");
  await operator.locator("tr", { hasText: "RB1" }).locator("button", { hasText: "Requeue" }).click();
  await expectText(operator, ".ok", "requeued");
});
await step("route-mode", operator, async () => {
  await operator.click("text=Routes");
  await operator.selectOption("select[aria-label='mode of stroke']", "active");
  await operator.fill("input[aria-label='reason to change stroke']", "validated on 200 studies");
  await operator.click("button:has-text('Switch')");
  await expectText(operator, ".ok", "now active");
  await operator.reload();
  await expectText(operator, "td", "active by otto");
});
if (errors.length) {
  failed = true;
  console.log(`FAIL page-errors: ${errors.join("; ")}`);
}

const viewer = await browser.newPage();
await step("viewer", viewer, async () => {
  await signIn(viewer, viewerToken);
  await expectText(viewer, "#who", "ana (viewer)");
  await viewer.click("text=Dead letters");
  await expectText(viewer, "td", "ehr");
  if (await viewer.locator("button", { hasText: "Requeue" }).count() !== 0) throw new Error("a viewer sees Requeue");
  await viewer.goto(url + "#/messages/1");
  await expectText(viewer, "p", "need the phi role");
  if ((await viewer.textContent("main")).includes("MRN-7")) throw new Error("a viewer sees the patient's MRN");
});

const reviewer = await browser.newPage();
reviewer.on("pageerror", (e) => errors.push(e.message));
await step("reviewer-feedback", reviewer, async () => {
  await signIn(reviewer, reviewerToken);
  await expectText(reviewer, "#who", "rita (reviewer)");
  await reviewer.goto(url + "#/studies/A1");
  const row = reviewer.locator(".feedback tr", { hasText: "Intracranial hemorrhage" });
  await row.locator("input").fill("calcification, not blood");
  await row.locator("button", { hasText: "Disagree" }).click();
  await expectText(reviewer, ".ok", "recorded: negative");
  await reviewer.reload();
  await expectText(reviewer, ".timeline li", "rita: intracranial_hemorrhage negative (calcification, not blood)");
  if (await reviewer.locator("button", { hasText: "Requeue" }).count() !== 0) throw new Error("a reviewer sees Requeue");
});
await step("validation", reviewer, async () => {
  await reviewer.click("text=Validation");
  await expectText(reviewer, "h1", "Validation of stroke against the radiologists");
  await expectText(reviewer, "h2", "ich_classifier 1.0.0, active: not accepted");
  const grid = reviewer.locator("svg[aria-label='confusion table of intracranial_hemorrhage']");
  const cells = await grid.locator("text").allTextContents();
  // true positive 1 (D1), false positive 1 (A1), false negative 0, true negative 1 (B1)
  const counts = [cells[cells.indexOf("true positive") - 1], cells[cells.indexOf("false positive") - 1],
                  cells[cells.indexOf("false negative") - 1], cells[cells.indexOf("true negative") - 1]];
  if (counts.join(" ") !== "1 1 0 1") throw new Error(`confusion cells ${counts.join(" ")}`);
  await expectText(reviewer, "svg[aria-label='ROC of intracranial_hemorrhage'] text", "AUC 0.500");
  const points = await reviewer.locator("svg[aria-label='ROC of intracranial_hemorrhage'] circle").count();
  if (points !== 4) throw new Error(`${points} ROC points`);
  await expectText(reviewer, "svg[aria-label='weekly agreement of intracranial_hemorrhage'] text", "67%");
  await expectText(reviewer, "td", "sensitivity");
  await expectText(reviewer, "h2", "ich_classifier: not enough data");
  await expectText(reviewer, "td", "new_manufacturer");
  await reviewer.locator("svg[aria-label='weekly positive rate of ich_classifier'] circle").first().waitFor({ timeout: 10000 });
});
if (errors.length) {
  failed = true;
  console.log(`FAIL page-errors: ${errors.join("; ")}`);
}

await browser.close();
process.exit(failed ? 1 : 0);
