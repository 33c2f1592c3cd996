// Signing in with a chat account, for the pages that need one (the moderation panel, the
// studio): the account field's parsing, the chat's WebSocket address, the Basic credentials
// the account routes take (server/account_auth.h) and the page's error texts. The password is
// passed around in memory only: nothing here stores it.

// "name" (on the server's domain) or "name@domain".
export function parseAccount(account, defaultDomain) {
  const text = account.trim();
  const at = text.indexOf("@");
  const username = at < 0 ? text : text.slice(0, at);
  const domain = at < 0 ? defaultDomain : text.slice(at + 1);
  return { username, domain, jid: `${username}@${domain}` };
}

// The event's XMPP WebSocket (RFC 7395) on this page's host: wss: when the page is https.
export function websocketUrl(path) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

// "Authorization: Basic base64(username:password)" (RFC 7617 §2, UTF-8).
export function basicAuthorization({ username, password }) {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

// Why this page cannot sign in here, or null. SCRAM (and the name colours) need WebCrypto,
// which browsers give secure pages only (https, or http on localhost); and the Basic
// credentials must not travel in the clear.
export function insecureReason() {
  if (window.isSecureContext && globalThis.crypto?.subtle) return null;
  return "Signing in needs a secure connection: open this page over https.";
}

// The sign-in form's text for a failed login (joinRoom() rejected).
export function signInFailureText(failure) {
  return failure?.condition === "not-authorized"
    ? "Wrong account or password."
    : `Could not sign in: ${failure?.message ?? failure}`;
}

// The sign-in form (#account, #password, #sign-in-error, #sign-in-button) read and checked:
// the account and password, or null with the reason shown in the form. While it returns
// credentials the button says "Signing in…" until `done()` is called.
export function readSignInForm(defaultDomain) {
  const $ = (id) => document.getElementById(id);
  const error = $("sign-in-error");
  const button = $("sign-in-button");
  const account = $("account").value.trim();
  const password = $("password").value;
  if (!account || !password) {
    error.textContent = "Enter your account and password.";
    return null;
  }
  const insecure = insecureReason();
  if (insecure) {
    error.textContent = insecure;
    return null;
  }
  error.textContent = "";
  button.disabled = true;
  button.textContent = "Signing in…";
  const done = () => {
    button.disabled = false;
    button.textContent = "Sign in";
  };
  return { ...parseAccount(account, defaultDomain), password, error, done };
}
