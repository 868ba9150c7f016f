/**
 * Server-rendered pages of the development identity provider. Plain HTML with labelled fields, a
 * main landmark and an error summary, so browser tests and axe can drive it; no script and no inline
 * style, so a strict CSP holds.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – development identity provider</title>
<link rel="stylesheet" href="/dev-login.css">
</head>
<body>
<header class="banner"><p>Development identity provider – not for real accounts</p></header>
<main id="main-content">
${body}
</main>
</body>
</html>`;
}

export interface LoginPageInput {
  uid: string;
  clientId: string;
  /** Shown as a hint: the demo usernames and their shared password. */
  demoUsers: { username: string; roles: string[] }[];
  demoPassword: string;
  username?: string;
  error?: string;
}

export function renderLoginPage(p: LoginPageInput): string {
  const uid = encodeURIComponent(p.uid);
  const errorSummary = p.error
    ? `<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">There is a problem</h2>
<p><a href="#username">${escapeHtml(p.error)}</a></p>
</div>`
    : '';
  const hints = p.demoUsers
    .map((u) => `<li><code>${escapeHtml(u.username)}</code> (${escapeHtml(u.roles.join(', '))})</li>`)
    .join('\n');
  return layout(
    'Sign in',
    `${errorSummary}
<h1>Sign in</h1>
<p>Signing in to <strong>${escapeHtml(p.clientId)}</strong>.</p>
<form method="post" action="/interaction/${uid}/login" novalidate>
<div class="field">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" spellcheck="false" required value="${escapeHtml(p.username ?? '')}">
</div>
<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
</div>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${uid}/abort">
<button type="submit" class="secondary">Cancel</button>
</form>
<h2>Demo people</h2>
<p>Every demo person's password is <code>${escapeHtml(p.demoPassword)}</code>.</p>
<ul>
${hints}
</ul>`,
  );
}

export function renderMessagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

export const DEV_LOGIN_CSS = `body{font-family:Arial,sans-serif;margin:0;color:#0b0c0c;background:#fff;line-height:1.4}
.banner{background:#0b0c0c;color:#fff;padding:8px 16px;margin:0}
.banner p{margin:0}
main{max-width:40rem;margin:0 auto;padding:16px}
.field{margin-bottom:16px}
label{display:block;font-weight:bold;margin-bottom:4px}
input{font-size:1rem;padding:6px;border:2px solid #0b0c0c;width:100%;max-width:20rem;box-sizing:border-box}
input:focus,button:focus{outline:3px solid #fd0;outline-offset:0}
button{font-size:1rem;padding:8px 12px;border:0;background:#00703c;color:#fff;cursor:pointer;margin-bottom:12px}
button.secondary{background:#f3f2f1;color:#0b0c0c;border:1px solid #505a5f}
.error-summary{border:4px solid #d4351c;padding:12px;margin-bottom:16px}
.error-summary a{color:#d4351c;font-weight:bold}
code{background:#f3f2f1;padding:0 4px}
`;
