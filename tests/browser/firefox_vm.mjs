// Resume the "Try it in your browser" VM in Firefox and run two steps of the walk, through
// puppeteer-core over WebDriver BiDi (Firefox's own remote protocol; no browser download).
//   node tests/browser/firefox_vm.mjs PAGE_URL FIREFOX_BINARY
// Prints one JSON line: the boot's times and each step's output. Exits 1 with the error.
import puppeteer from "puppeteer-core";

const [url, executablePath] = process.argv.slice(2);
const browser = await puppeteer.launch({
  browser: "firefox",
  protocol: "webDriverBiDi",
  executablePath,
  headless: true,
  // A profile of its own in a fresh temporary folder; no first-run pages or updates.
  extraPrefsFirefox: { "app.update.enabled": false, "browser.shell.checkDefaultBrowser": false },
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(300_000);
  await page.goto(url);
  await page.waitForFunction("window.vmLab !== undefined");
  const times = await page.evaluate(() => globalThis.vmLab.boot({ fromState: true }));
  const steps = {};
  for (const name of ["vm", "uts"]) {
    const command = await page.$eval(`button[data-step="${name}"]`, (b) => b.dataset.command);
    steps[name] = await page.evaluate((c) => globalThis.vmLab.run(c), command);
  }
  const agent = await page.evaluate(() => navigator.userAgent);
  console.log(JSON.stringify({ agent, times, steps }));
} finally {
  await browser.close();
}
