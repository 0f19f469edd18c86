// An officer builds a face-to-face routing pack: the VSAT referral, the
// appointment (taken with the keyboard alone), a rearranged meeting beside
// the path, and the outcome; the pack closes with CMSF5579, CMSL5501 and
// CMSL5502 in it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, startBrowser, look, signIn, fillDate } from './helpers.mjs'

/** Presses Tab until the element with `id` has the focus; returns the presses. */
async function tabTo (page, id, most = 40) {
  for (let n = 1; n <= most; n++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate(() => document.activeElement && document.activeElement.id) === id) return n
  }
  throw new Error(`Tab never reached #${id}`)
}

async function focused (page) {
  return page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.textContent.trim()))
}

test('a face-to-face routing pack, one step taken with the keyboard alone', { timeout: 240000 }, async () => {
  const server = await startServer()
  const b = await startBrowser()
  try {
    const { page } = b
    await signIn(page, server.url)
    await page.goto(server.url + '/packs/new/face-to-face')
    await page.fill('#pack-name', 'sr-7654321-f2f')
    await fillDate(page, 'step-date', '2026-03-02')
    await page.fill('#reference', '2345 6789 0123')
    await page.fill('#region', 'Yorkshire')
    await page.fill('#sr-number', 'SR-7654321')
    await page.fill('#client-name', 'Ms Jo Bloggs')
    await page.check('#client-role')
    await page.fill('#client-address', '5 Park Row\nLeeds')
    await page.fill('#client-postcode', 'LS1 5HD')
    await page.check('#reason-4') // payments
    await page.fill('#pv-checked-by', 'J Officer')
    await page.check('#pv-result')
    await look(page, 'pack-create-face-to-face')
    await page.click('button:has-text("Record this step")')
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `create` recorded: 1 file added/)

    // The appointment, by keyboard only: Tab from the top of the page.
    await page.goto(server.url + '/packs/sr-7654321-f2f/steps/appointment')
    await look(page, 'pack-step-appointment')
    const presses = await tabTo(page, 'step-date-day')
    assert.ok(presses <= 12, `the form is near the top of the tab order (${presses} presses)`)
    await page.keyboard.type('9')
    const order = []
    for (const [value] of [['3'], ['2026'], ['23'], ['3'], ['2026'], ['14:00'], ['Jobcentre Plus, Crown House, Leeds']]) {
      await page.keyboard.press('Tab')
      order.push(await focused(page))
      await page.keyboard.type(value)
    }
    assert.deepEqual(order, ['step-date-month', 'step-date-year', 'meeting-date-day', 'meeting-date-month',
      'meeting-date-year', 'meeting-time', 'meeting-location'])
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'reason', 'the reasons are one stop in the tab order')
    await page.keyboard.press('ArrowDown') // parentage
    await page.keyboard.press('ArrowDown') // under-16
    await page.keyboard.press('ArrowDown') // payments
    assert.equal(await page.evaluate(() => document.querySelector('input[name="reason"]:checked').value), 'payments')
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'reason-text')
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'Record this step')
    await look(page, 'pack-step-appointment-keyboard')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/packs\/sr-7654321-f2f$/)
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `appointment` recorded: 1 file added \(2 in the pack\)/)

    // A correction beside the path: the appointment letter's place was wrong.
    await page.click('a:has-text("Step correct")')
    assert.equal(await page.textContent('label[for="document-2"]'), '02-CMSL5501-v1.pdf')
    await fillDate(page, 'step-date', '2026-03-09')
    await page.check('#document-2')
    await page.fill('#meeting-location', 'Jobcentre Plus, Leeds Central')
    await page.fill('#correction-reason', 'Wrong office given')
    await look(page, 'pack-step-correct')
    await page.click('button:has-text("Record this step")')
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `correct` recorded: 1 file added \(3 in the pack\)/)
    const corrected = (await page.textContent('table')).replace(/\s+/g, ' ')
    assert.match(corrected, /02-CMSL5501-v1\.pdf \(preview\) Appointment confirmation letter \(1 page\) appointment Superseded by 03-CMSL5501-v2\.pdf/)

    // A rearranged meeting, beside the path.
    await page.click('a:has-text("Step rearrange")')
    await fillDate(page, 'step-date', '2026-03-10')
    await page.check('#changed-by')
    await fillDate(page, 'meeting-date', '2026-03-30')
    await page.fill('#meeting-time', '10:00')
    await page.click('button:has-text("Record this step")')
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `rearrange` recorded: 1 file added \(4 in the pack\)/)

    // The outcome closes the pack.
    await page.click('a:has-text("step outcome")')
    await fillDate(page, 'step-date', '2026-03-30')
    await page.check('#visit-outcome')
    await page.click('button:has-text("Record this step")')
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `outcome` recorded: 0 files added \(4 in the pack\)/)
    const text = (await page.textContent('main')).replace(/\s+/g, ' ')
    for (const f of ['01-CMSF5579-v1.pdf', '02-CMSL5501-v1.pdf', '03-CMSL5501-v2.pdf', '04-CMSL5502-v1.pdf', 'completed', 'Nothing: the pack is closed']) {
      assert.ok(text.includes(f), f)
    }
    await look(page, 'pack-face-to-face-completed')
    await page.goto(server.url + '/packs')
    assert.match((await page.textContent('table')).replace(/\s+/g, ' '), /sr-7654321-f2f SR-7654321 Face-to-face routing outcome completed Nothing: the pack is closed/)
    await look(page, 'packs-list')
    assert.deepEqual(b.problems, [])
  } finally {
    await b.stop()
    await server.stop()
  }
})
