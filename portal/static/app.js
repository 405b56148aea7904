// The portal's session: tokens live in sessionStorage; a 401 triggers one refresh.
const store = sessionStorage;
const $ = (id) => document.getElementById(id);

async function call(path, options = {}, retried = false) {
  const headers = { "Content-Type": "application/json", ...(options.headers || {}) };
  const token = store.getItem("access_token");
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(path, { ...options, headers });
  if (res.status === 401 && !retried && store.getItem("refresh_token")) {
    if (await refresh()) return call(path, options, true);
  }
  const body = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(body && body.detail ? body.detail : res.statusText);
  return body;
}

async function refresh() {
  const res = await fetch("/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: store.getItem("refresh_token") }) });
  if (!res.ok) { store.clear(); return false; }
  saveTokens(await res.json());
  return true;
}

function saveTokens(t) {
  store.setItem("access_token", t.access_token);
  store.setItem("refresh_token", t.refresh_token);
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) { const td = document.createElement("td"); td.textContent = c; tr.append(td); }
  return tr;
}

async function showHome() {
  const me = await call("/auth/me");
  $("login-view").hidden = true; $("home-view").hidden = false; $("logout").hidden = false;
  const dl = $("me"); dl.replaceChildren();
  for (const [k, v] of [["Email", me.user.email], ["Role", me.role || "none"], ["Tenant", me.tenant_id || "none selected"]]) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    dl.append(dt, dd);
  }
  if (me.user.super_admin) {
    $("tenants-view").hidden = false;
    const list = await call("/tenants");
    $("tenants").replaceChildren(...list.items.map((t) => row([t.name, t.slug, t.status, t.id])));
  }
  if (me.tenant_id) {
    $("users-view").hidden = false;
    const users = await call(`/tenants/${me.tenant_id}/users`);
    $("users").replaceChildren(...users.items.map((u) => row([u.email, u.role])));
  }
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("login-error").textContent = "";
  try {
    const t = await call("/auth/login", { method: "POST", body: JSON.stringify({ email: $("email").value, password: $("password").value }) });
    saveTokens(t);
    await showHome();
  } catch (err) { $("login-error").textContent = err.message; }
});

$("tenant-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("tenant-error").textContent = "";
  try {
    await call("/tenants", { method: "POST", body: JSON.stringify({ name: $("tenant-name").value, slug: $("tenant-slug").value }) });
    ev.target.reset();
    await showHome();
  } catch (err) { $("tenant-error").textContent = err.message; }
});

$("logout").addEventListener("click", async () => {
  try { await call("/auth/logout", { method: "POST", body: JSON.stringify({ refresh_token: store.getItem("refresh_token") }) }); } catch (_) {}
  store.clear();
  location.reload();
});

if (store.getItem("access_token")) showHome().catch(() => { store.clear(); });
