"""The sandbox's ASGI application: routes, error handling and the gateway middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from twinedge_desktop.sandbox import api, apps, controls, oauth
from twinedge_desktop.sandbox.controls import BodyTooLarge, GatewayMiddleware
from twinedge_desktop.sandbox.pages import render, static_directory
from twinedge_desktop.sandbox.problems import Problem, error_for_status, problem_response
from twinedge_desktop.sandbox.state import MAX_BODY_BYTES, SandboxState
from twinedge_desktop.sandbox.usage import EndpointNames, key_usage, seed_usage


async def _home(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    return render("home.html", issuer=state.issuer)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    descriptions = {404: "No such endpoint", 405: "Method not allowed on this endpoint"}
    problem = Problem(
        exc.status_code,
        error_for_status(exc.status_code),
        descriptions.get(exc.status_code, str(exc.detail)),
        headers=dict(exc.headers or {}),
    )
    return problem_response(problem)


async def _too_large(request: Request, exc: Exception) -> Response:
    return problem_response(
        Problem(413, "request_too_large", f"The request body is larger than {MAX_BODY_BYTES} bytes")
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug, not bad input: answer with the contract's error shape, never a traceback.
    # (Starlette re-raises it afterwards; the gateway middleware logs one line.)
    return problem_response(Problem(500, "server_error", "The sandbox hit an internal error"))


def build_app(state: SandboxState) -> GatewayMiddleware:
    routes: list[BaseRoute] = [
        Route("/", _home, methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", oauth.metadata, methods=["GET"]),
        Route("/.well-known/openid-configuration", oauth.metadata, methods=["GET"]),
        Route("/.well-known/jwks.json", oauth.jwks, methods=["GET"]),
        Route("/oauth/authorize", oauth.authorize, methods=["GET"]),
        Route("/oauth/authorize/{request_id}/signin", oauth.signin, methods=["POST"]),
        Route("/oauth/authorize/{request_id}/consent", oauth.consent, methods=["POST"]),
        Route("/oauth/token", controls.charged_to_client(oauth.token), methods=["POST"]),
        Route("/oauth/revoke", controls.charged_to_client(oauth.revoke), methods=["POST"]),
        Route("/v1/me", api.me, methods=["GET"]),
        Route("/v1/api-keys", api.list_keys, methods=["GET"]),
        Route("/v1/api-keys", api.create_key, methods=["POST"]),
        Route("/v1/api-keys/{key_id}", api.get_key, methods=["GET"]),
        Route("/v1/api-keys/{key_id}/usage", key_usage, methods=["GET"]),
        Route("/v1/api-keys/{key_id}", api.revoke_key, methods=["DELETE"]),
        Route("/v1/oauth-apps", apps.list_apps, methods=["GET"]),
        Route("/v1/oauth-apps", apps.create_app, methods=["POST"]),
        Route("/v1/oauth-apps/{app_id}", apps.get_app, methods=["GET"]),
        Route("/v1/oauth-apps/{app_id}", apps.update_app, methods=["PATCH"]),
        Route("/v1/oauth-apps/{app_id}", apps.delete_app, methods=["DELETE"]),
        Route("/v1/oauth-apps/{app_id}/secret", apps.rotate_secret, methods=["POST"]),
        Route("/v1/assets", api.sample, methods=["GET"]),
        Route("/v1/telemetry", api.sample, methods=["GET"]),
        Route("/v1/alerts", api.sample, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=static_directory()), name="static"),
    ]
    if state.test_controls:
        routes += [
            Route("/_sandbox/faults", controls.add_fault, methods=["POST"]),
            Route("/_sandbox/faults", controls.clear_faults, methods=["DELETE"]),
            Route("/_sandbox/clock", controls.set_clock, methods=["POST"]),
            Route("/_sandbox/clock", controls.get_clock, methods=["GET"]),
            Route("/_sandbox/rotate-key", controls.rotate_key, methods=["POST"]),
            Route("/_sandbox/rate-limit", controls.set_rate_limit, methods=["POST"]),
            Route("/_sandbox/seed-keys", controls.seed_keys, methods=["POST"]),
            Route("/_sandbox/seed-usage", seed_usage, methods=["POST"]),
        ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            Problem: _problem,
            HTTPException: _http_error,
            BodyTooLarge: _too_large,
            Exception: _unexpected,
        },
    )
    app.state.sandbox = state
    gateway = GatewayMiddleware(app, state, EndpointNames(routes))
    app.state.gateway = gateway
    return gateway
