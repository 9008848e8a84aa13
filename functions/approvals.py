"""HTTP triggers: the approval API and the approvers' console, thin adapters to `ApprovalApi`.

The functions are anonymous at the Functions level on purpose: App Service Authentication in front
of the app signs callers in, and `ApprovalApi` refuses every request when it is not enabled. Getting
`runtime.approvals()` costs nothing: the engine behind it is built only once a caller is authenticated.
"""

from __future__ import annotations

import azure.functions as func

from driftguard.cases.api import ApiRequest, ApiResponse
from functions import runtime

bp = func.Blueprint()  # type: ignore[no-untyped-call]
ANONYMOUS = func.AuthLevel.ANONYMOUS


def to_request(req: func.HttpRequest) -> ApiRequest:
    return ApiRequest(
        method=req.method,
        headers={k.lower(): v for k, v in req.headers.items()},
        query=dict(req.params),
        body=req.get_body(),
    )


def to_response(answer: ApiResponse) -> func.HttpResponse:
    mimetype, _, rest = answer.content_type.partition(";")
    charset = rest.split("=", 1)[1].strip() if "charset=" in rest else "utf-8"
    return func.HttpResponse(
        answer.body, status_code=answer.status, headers=dict(answer.headers), mimetype=mimetype.strip(), charset=charset
    )


@bp.route(route="cases", methods=["GET"], auth_level=ANONYMOUS)
def list_cases(req: func.HttpRequest) -> func.HttpResponse:
    return to_response(runtime.approvals().list_cases(to_request(req)))


@bp.route(route="cases/{id}", methods=["GET"], auth_level=ANONYMOUS)
def get_case(req: func.HttpRequest) -> func.HttpResponse:
    return to_response(runtime.approvals().get_case(to_request(req), req.route_params.get("id", "")))


@bp.route(route="cases/{id}/approve", methods=["POST"], auth_level=ANONYMOUS)
def approve_case(req: func.HttpRequest) -> func.HttpResponse:
    return to_response(runtime.approvals().decide(to_request(req), req.route_params.get("id", ""), "approve"))


@bp.route(route="cases/{id}/reject", methods=["POST"], auth_level=ANONYMOUS)
def reject_case(req: func.HttpRequest) -> func.HttpResponse:
    return to_response(runtime.approvals().decide(to_request(req), req.route_params.get("id", ""), "reject"))


@bp.route(route="cases/{id}/rollback", methods=["POST"], auth_level=ANONYMOUS)
def rollback_case(req: func.HttpRequest) -> func.HttpResponse:
    return to_response(runtime.approvals().decide(to_request(req), req.route_params.get("id", ""), "rollback"))


@bp.route(route="console", methods=["GET"], auth_level=ANONYMOUS)
def console(req: func.HttpRequest) -> func.HttpResponse:
    return to_response(runtime.approvals().console(to_request(req)))


@bp.route(route="openapi.json", methods=["GET"], auth_level=ANONYMOUS)
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return to_response(runtime.approvals().openapi(to_request(req)))
