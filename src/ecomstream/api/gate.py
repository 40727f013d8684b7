"""The server's front door: optional access token, safe response headers.

With a token set, every request (page, assets, callbacks, API, /metrics, WebSocket)
needs `Authorization: Bearer <token>`, or the session cookie. Opening any page with
`?token=<token>` once sets that cookie (HttpOnly, SameSite=Strict) and redirects to the
same address without the token, so it does not linger in the address bar or history.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "ecomstream_session"

SAFE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


class Gate:
    """ASGI middleware: token check (when `token` is set) and safe headers on every response."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self.token = token or None
        secret = (token or "").encode()
        self.session = hmac.new(secret, b"ecomstream dashboard session", hashlib.sha256).hexdigest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.token is not None and not self._allowed(scope):
            await self._refuse(scope, receive, send)
            return
        if self.token is not None and _is_page_visit(scope) and self._query_token(scope) is not None:
            await self._to_cookie(scope, receive, send)
            return
        await self.app(scope, receive, _with_safe_headers(send, scope["path"]))

    def _allowed(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and _same(given.strip(), self.token):
            return True
        cookie = _cookies(headers.get("cookie", "")).get(COOKIE)
        if cookie is not None and _same(cookie, self.session):
            return True
        query = self._query_token(scope)
        return query is not None and _same(query, self.token)

    @staticmethod
    def _query_token(scope: Scope) -> str | None:
        for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            if name == "token":
                return value
        return None

    async def _to_cookie(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer `?token=` with the cookie and a redirect to the same address without it."""
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        rest = urlencode([(k, v) for k, v in pairs if k != "token"])
        target = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, self.session, httponly=True, samesite="strict", path="/")
        await response(scope, receive, _with_safe_headers(send, scope["path"]))

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401, "reason": "access token required"})
            return
        message = (
            "access token required: send 'Authorization: Bearer <token>', or open the page once "
            "with ?token=<token> (the server was started with --token / ECOMSTREAM_TOKEN)"
        )
        path = scope["path"]
        response: Response
        if path.startswith("/api/") or path == "/metrics" or "/_dash-" in path:
            response = JSONResponse({"error": message}, status_code=401)
        else:
            response = PlainTextResponse(message, status_code=401)
        response.headers["www-authenticate"] = 'Bearer realm="ecomstream"'
        await response(scope, receive, _with_safe_headers(send, path))


def _is_page_visit(scope: Scope) -> bool:
    """A browser opening a page (not an API call, a callback or a WebSocket)."""
    path = scope["path"]
    return (
        scope["type"] == "http"
        and scope.get("method") == "GET"
        and not (path.startswith(("/api/", "/_dash-")) or path == "/metrics")
    )


def _same(given: str | None, expected: str | None) -> bool:
    if given is None or expected is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _cookies(header: str) -> dict[str, str]:
    found = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            found[name] = value
    return found


def _with_safe_headers(send: Send, path: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SAFE_HEADERS.items():
                headers.setdefault(name, value)
            if path.startswith("/api/") or path == "/metrics":
                headers["cache-control"] = "no-store"
        await send(message)

    return sending
