"""Security headers on every response: pages, API answers, errors, static files and refusals alike.

Why a middleware and not per route: a header that only the HTML pages set leaves the JSON, Atom,
SPARQL result and error responses without it, and those are the ones a browser may be tricked into
rendering (a JSON body sniffed as HTML, an error page framed by another site). The middleware is the
outermost layer, so even the body-size refusal (413) and unhandled errors carry the headers.

Headers a response already sets win (the HTML pages send their own ``Content-Security-Policy`` that
allows this server's scripts and styles); for everything else the policy is ``default-src 'none'``:
a JSON or Turtle document has nothing to load and nothing to run.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""The policy of responses that do not set one: nothing may load, run or frame them."""

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ("Content-Security-Policy", NON_HTML_CSP),
)
"""Every response gets these unless it set the header itself."""


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the missing headers when the response starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
