// The startup console's request form: reading it, the API's own checks of the request before it
// is sent (with its messages, naming the field as the API's BAD_USER_INPUT would), and showing
// the errors next to their inputs.
import { utcInput } from './ui.js';

const HOUR = 3_600_000;
const $ = (id) => document.getElementById(id);

/** The request the form describes (empty numbers are NaN, for validate to name). */
export function readForm() {
  // a number input whose text the browser cannot read (`5e`, `--1`) has the value '': NaN, so
  // that validate names the field instead of the request going out without it
  const num = (id) => ($(id).validity.badInput || $(id).value.trim() === '' ? NaN : Number($(id).value));
  const clusterIds = [...$('req-clusters').querySelectorAll('input:checked')].map((x) => x.value);
  const green = $('req-green').validity.badInput ? 'NaN' : $('req-green').value.trim();
  return {
    pflops: num('req-pflops'),
    hours: num('req-hours'),
    earliestStart: utcInput($('req-start').value),
    deadline: utcInput($('req-deadline').value),
    ...(clusterIds.length ? { clusterIds } : {}),
    ...(green === '' ? {} : { minGreenShare: Number(green) / 100 }),
  };
}

/** The input of each request field. */
export const FIELD_INPUT = {
  pflops: 'req-pflops',
  hours: 'req-hours',
  earliestStart: 'req-start',
  deadline: 'req-deadline',
  minGreenShare: 'req-green',
  clusterIds: 'req-clusters',
};

/** Each field's message under its input (`touchedOnly`: not under inputs still empty). */
export function showFieldErrors(errors, touchedOnly = false) {
  for (const [field, id] of Object.entries(FIELD_INPUT)) {
    const input = $(id);
    const out = $(`${id}-error`);
    const msg = touchedOnly && input.value === '' ? null : errors[field];
    out.textContent = msg ?? '';
    out.hidden = !msg;
    if (input.tagName === 'INPUT') input.setAttribute('aria-invalid', msg ? 'true' : 'false');
  }
}

const decimals = (x) => {
  const [m, e = '0'] = String(Math.abs(x)).split('e');
  return Math.max(0, (m.split('.')[1]?.length ?? 0) - Number(e));
};

/** The API's own checks of a request, with its messages (BAD_USER_INPUT, extensions.field). */
export function validate(r, now = Date.now()) {
  const errors = {};
  const hourNow = Math.floor(now / HOUR) * HOUR;
  if (!Number.isFinite(r.pflops)) errors.pflops = 'request.pflops must be a number (PFLOPS, e.g. 10 or 2.5)';
  // the decimals first, as the API checks them: 0.0001 has too many, it is not "too small"
  else if (decimals(r.pflops) > 3) errors.pflops = `request.pflops must have at most 3 decimals, got ${r.pflops}`;
  else if (r.pflops < 0.001) errors.pflops = 'request.pflops must not be less than 0.001';
  else if (r.pflops > 2_000_000) errors.pflops = 'request.pflops must not be greater than 2000000';
  if (!Number.isInteger(r.hours)) errors.hours = 'request.hours must be an integer number';
  else if (r.hours < 1) errors.hours = 'request.hours must not be less than 1';
  else if (r.hours > 100_000) errors.hours = 'request.hours must not be greater than 100000';
  const a = r.earliestStart ? Date.parse(r.earliestStart) : NaN;
  const b = r.deadline ? Date.parse(r.deadline) : NaN;
  if (!Number.isFinite(a)) errors.earliestStart = 'request.earliestStart must be a valid date-time';
  else if (a % HOUR !== 0)
    errors.earliestStart = `request.earliestStart must be on a whole UTC hour (e.g. 2026-12-01T08:00:00Z), got ${r.earliestStart}`;
  else if (a < hourNow)
    errors.earliestStart = `request.earliestStart must not be before the current hour ${new Date(hourNow).toISOString()}`;
  if (!Number.isFinite(b)) errors.deadline = 'request.deadline must be a valid date-time';
  else if (b % HOUR !== 0)
    errors.deadline = `request.deadline must be on a whole UTC hour (e.g. 2026-12-01T08:00:00Z), got ${r.deadline}`;
  else if (Number.isFinite(a) && Number.isInteger(r.hours) && b < a + r.hours * HOUR) {
    errors.deadline = `request.deadline must be at least request.earliestStart + request.hours (${new Date(a + r.hours * HOUR).toISOString()})`;
  }
  if (r.minGreenShare !== undefined) {
    if (!Number.isFinite(r.minGreenShare))
      errors.minGreenShare = 'request.minGreenShare must be a number (a percentage from 0 to 100, or empty)';
    // the form asks for percent: the API's bounds 0 and 1 said as 0 % and 100 %
    else if (r.minGreenShare < 0) errors.minGreenShare = 'request.minGreenShare must not be less than 0 (0 %)';
    else if (r.minGreenShare > 1) errors.minGreenShare = 'request.minGreenShare must not be greater than 1 (100 %)';
  }
  return { ok: Object.keys(errors).length === 0, errors };
}
