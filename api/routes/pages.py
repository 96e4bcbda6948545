"""The sign-in page (HTML, outside ``/api/v1``): ``GET /sign-in`` and its script.

Pages that need sign-in send an anonymous browser here with ``?next=<path>`` (``api/errors.py``).
The page signs in with Sign-In with Ethereum (``/api/v1/auth/challenge``, then
``/api/v1/auth/sign-in``, which sets the session cookie) in one of two ways: a wallet in the
browser (``window.ethereum``: ``eth_requestAccounts``, ``personal_sign``), or an encrypted
keystore file (eth-account / Web3 Secret Storage JSON) with its password, decrypted and used to
sign in the browser. The file, the password and the key never leave the page: only the address,
then the signed message and the signature, are sent. The form's fields have no ``name`` and the
Content-Security-Policy forbids form submission, so nothing of them can be posted by the browser
either.

The script is ``web/sign-in.js`` (importing ``ethers``), bundled by ``scripts/bootstrap``
(esbuild, ``npm run build:web``) into ``api/static/sign-in.js``: build output, never committed,
served at ``/static/sign-in.js``. Without it the page says that set-up has to be run. The page
runs no inline script: its Content-Security-Policy allows scripts and connections to this origin
only, and its one style sheet by hash.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from registry.errors import NotFoundError

#: Where ``scripts/bootstrap`` writes the bundles of ``web/`` (``npm run build:web``).
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SIGN_IN_BUNDLE = "sign-in.js"

router = APIRouter(include_in_schema=False)

_STYLE = """
body{font-family:"Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:44rem;
margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}
h1{color:#183468;font-size:1.6rem;margin-bottom:.2rem}
h1 small{display:block;color:#b22222;font-size:.85rem;letter-spacing:.08em}
h2{font-size:1.15rem;margin:1.4rem 0 .4rem}
[hidden]{display:none!important}
.banner{border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.banner h2{margin:.2rem 0}
.info{background:#eef2f9;border:1px solid #183468}
.good{background:#e7f4ea;border:1px solid #1f7a3d}
.bad{background:#fbe9e9;border:1px solid #b22222}.bad h2{color:#b22222}
label{display:block;margin:.6rem 0}label input{display:block;margin-top:.2rem}
button{font-size:1rem;padding:.35rem 1rem;margin-top:.4rem}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #dde;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{width:9rem;white-space:nowrap}th small{display:block;color:#777;font-weight:normal}
td,code{word-break:break-all}.note{color:#555;font-size:.92rem}.links{margin-top:2rem}
"""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


#: Scripts and connections to this origin only (no inline script, no other site to send a key
#: to), the page's own style sheet by hash, no form submission, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        f"style-src {_hash(_STYLE)}",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

# Every control starts disabled; the script enables them. No field has a name: a form submitted
# without the script (it cannot be: form-action 'none') would carry nothing.
_FORMS = """
<p id="next-note" class="note" hidden>登录后返回 After signing in you go back to
<code id="next"></code>.</p>
<p id="message" role="status" aria-live="polite" hidden></p>
<section id="signed-in" hidden>
<h2>已登录 · Signed in</h2>
<table>
<tr><th>账户<small>account</small></th><td><code id="who"></code></td></tr>
<tr><th>链上角色<small>on-chain roles</small></th><td id="roles"></td></tr>
<tr><th>会话有效至<small>session ends</small></th><td id="until"></td></tr>
</table>
<button id="sign-out" type="button" data-busy-disable disabled>退出登录 Sign out</button>
</section>
<div id="sign-in-forms">
<section id="wallet" hidden>
<h2>使用钱包登录 · Sign in with a wallet</h2>
<p class="note">钱包会请您签署一条 Sign-In with Ethereum 消息：不发送交易，不花费 gas。
Your wallet asks you to sign a Sign-In with Ethereum message: no transaction, no gas.</p>
<button id="wallet-sign-in" type="button" data-busy-disable disabled>使用钱包登录
Sign in with a wallet</button>
</section>
<section id="keystore">
<h2>使用密钥库文件登录 · Sign in with a keystore file</h2>
<p class="note">密钥库文件和密码只在本浏览器中使用：在此解密、在此签名，发送到服务器的只有账户地址、
登录消息和签名。The keystore file and its password stay in this browser: the key is decrypted
and the message signed here; only the address, the message and the signature are sent.</p>
<form id="keystore-form" autocomplete="off">
<label>密钥库文件 Keystore file (JSON)
<input id="keystore-file" type="file" accept=".json,application/json" data-busy-disable
disabled></label>
<label>密码 Password
<input id="keystore-password" type="password" autocomplete="current-password"
data-busy-disable disabled></label>
<button id="keystore-sign-in" type="submit" data-busy-disable disabled>登录 Sign in</button>
</form>
</section>
</div>
<noscript><p class="banner bad">登录需要启用 JavaScript。Signing in needs JavaScript.</p></noscript>
"""

_SETUP_NEEDED = """
<section id="setup-needed" class="banner bad">
<h2>尚未完成安装 · Set-up has not been run</h2>
<p>登录页的脚本尚未构建：请在服务器上运行 <code>scripts/bootstrap</code>，然后刷新本页。</p>
<p>The sign-in page's script has not been built: run <code>scripts/bootstrap</code> on the
server, then reload this page.</p>
</section>
"""


def _page(body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>登录 Sign in · dareg</title><style>{_STYLE}</style></head><body>"
        "<h1>登录 · Sign in<small>DAREG 数据资产登记 REGISTRY</small></h1>"
        f'{body}<p class="links"><a href="/">首页 Home</a></p></body></html>'
    )


def sign_in_bundle() -> Path | None:
    """The built script of the sign-in page, or ``None`` before set-up has built it."""
    path = STATIC_DIR / SIGN_IN_BUNDLE
    return path if path.is_file() else None


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page() -> HTMLResponse:
    """Sign in with a wallet or a keystore file (503 with a set-up notice before the script is
    built)."""
    if sign_in_bundle() is None:
        return HTMLResponse(_page(_SETUP_NEEDED), status_code=503, headers=_HEADERS)
    script = f'<script type="module" src="/static/{SIGN_IN_BUNDLE}"></script>'
    return HTMLResponse(_page(_FORMS + script), headers=_HEADERS)


@router.get(f"/static/{SIGN_IN_BUNDLE}")
def sign_in_script() -> FileResponse:
    """The sign-in page's script (404 before set-up has built it)."""
    path = sign_in_bundle()
    if path is None:
        raise NotFoundError(f"{SIGN_IN_BUNDLE} has not been built: run scripts/bootstrap")
    return FileResponse(
        path,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
