/**
 * The console page's behaviour, run by the browser as the module the LM serves at /console/browser.js (the page's
 * policy allows scripts from the LM itself only: nothing inline). Built by its own project (tsconfig.console.json)
 * with the DOM's types and without Node's; what the forms decide is in forms.ts, a module of its own.
 *
 * No value of the page is spliced into the script: it reads the DOM (the name pattern comes as an attribute of the
 * request form). The admin token and the license key only ever travel in a POST header or body, never in a URL,
 * and nothing here writes to the console.
 */
import type { InfoResponse, RequestCodeRequest, RequestCodeResponse } from '@tessera/core';
import { apiError, parseMonths, parseNodes } from './forms.js';

function field<T extends HTMLElement = HTMLInputElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}.`);
  return element as T;
}

function required(id: string, what: string): string {
  const input = field(id);
  const value = input.value.trim();
  if (!value) {
    input.focus();
    throw new Error(`${what} is required.`);
  }
  return value;
}

function show(element: HTMLElement, text: string): void {
  element.textContent = text;
  element.hidden = !text;
}

async function post<T>(path: string, token: string, payload: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.trim()}` },
      body: JSON.stringify(payload),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (error) {
    throw new Error(`Could not reach the License Manager: ${(error as Error).message}`);
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw new Error(apiError(response.status, body));
  return body as T;
}

function copyFrom(id: string, button: HTMLButtonElement): void {
  const element = document.getElementById(id);
  if (!element) return;
  const text =
    element instanceof HTMLTextAreaElement || element instanceof HTMLInputElement ? element.value : (element.textContent ?? '').trim();
  const done = () => {
    const old = button.textContent;
    button.textContent = 'Copied';
    setTimeout(() => (button.textContent = old), 1500);
  };
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    try {
      if (document.execCommand('copy')) done();
    } finally {
      document.body.removeChild(area);
    }
  };
  // The clipboard API exists only in secure contexts; an LM is usually reached over plain http on the LAN.
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
  else fallback();
}

/** Submitting `form` runs `run`: its error (thrown at once or later) shows in the form's error line. */
function wire(form: HTMLFormElement, run: () => Promise<unknown>): void {
  const error = form.querySelector<HTMLElement>('.error')!;
  const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show(error, '');
    let request: Promise<unknown>;
    try {
      request = run();
    } catch (e) {
      show(error, (e as Error).message);
      return;
    }
    button.disabled = true;
    request.then(
      () => (button.disabled = false),
      (e: unknown) => {
        show(error, (e as Error).message);
        button.disabled = false;
      },
    );
  });
}

function start(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-copy]')) {
    button.addEventListener('click', () => copyFrom(button.getAttribute('data-copy') ?? '', button));
  }
  const load = document.getElementById('load-form');
  if (load instanceof HTMLFormElement) {
    wire(load, () => {
      const key = required('load-key', 'The license key');
      const token = required('load-token', 'The admin token');
      return post<InfoResponse>('/v1/admin/load', token, { key, force: field('load-force').checked }).then((info) => {
        show(field('load-result'), `Loaded. Status: ${info.status} (${info.code}). ${info.detail} Reloading…`);
        setTimeout(() => location.reload(), 1500);
      });
    });
  }
  const request = document.getElementById('request-form');
  if (request instanceof HTMLFormElement) {
    wire(request, () => {
      const pattern = request.dataset.namePattern;
      if (!pattern) throw new Error('The page does not say which role names it takes (data-name-pattern); reload it.');
      const name = new RegExp(pattern);
      const body: RequestCodeRequest = {
        name: required('request-name', 'The contact name'),
        email: required('request-email', 'The email'),
        nodes: parseNodes(required('request-nodes', 'Nodes'), name),
      };
      const phone = field('request-phone').value.trim();
      const months = parseMonths(field('request-months').value);
      if (phone) body.phone = phone;
      if (months !== null) body.months = months;
      const token = required('request-token', 'The admin token');
      field<HTMLElement>('request-result').hidden = true;
      return post<RequestCodeResponse>('/v1/admin/request-code', token, body).then((answer) => {
        field<HTMLTextAreaElement>('request-code').value = answer.requestCode;
        field<HTMLElement>('request-result').hidden = false;
      });
    });
  }
}

start();
