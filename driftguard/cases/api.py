"""The approval API, free of any web framework: requests in, responses out.

`functions/approvals.py` adapts Azure Functions HTTP triggers to it. Every call, the OpenAPI document
and the console page included, is authenticated through Easy Auth first (fail closed); reads need
`DriftGuard.Reader`, decisions `DriftGuard.Approver`. Nothing behind the desk (the engine, the store,
a managed identity token) is built or touched before a caller is authenticated. State-changing calls
must also prove they come from a page of this app, not from another site (see `check_same_origin`).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from driftguard import rules
from driftguard.alerts import RULE as ALERT_RULE
from driftguard.azure.directory import GUID
from driftguard.azure.directory import Principal as Person
from driftguard.azure.writes import TransientWriteError
from driftguard.cases import Refused
from driftguard.cases.auth import AuthError, Principal, Role, authenticate
from driftguard.cases.desk import CaseDesk, quoted
from driftguard.ids import normalize_guid
from driftguard.inventory import InventoryError
from driftguard.nesting import TooDeep, parse
from driftguard.report.html import TEMPLATES
from driftguard.report.rule_reference import reference_url
from driftguard.review import describe_use
from driftguard.rules.base import RuleMeta
from driftguard.rules.roles import PRIVILEGED, role_guid
from driftguard.store.base import CAUSER_KEYS, Case, CaseKind, CaseStatus, StoreUnavailable, case_to_json
from driftguard.terminal import layout

JSON_TYPE = "application/json"
# The header a state-changing call must carry. A cross-site form cannot set it, and a cross-site
# script cannot either without a CORS preflight, which this app never grants.
REQUEST_HEADER = "x-driftguard-request"
MAX_BODY = 16_384
# After the directory fails, how long the console shows ids before asking it again.
DIRECTORY_RETRY_S = 300.0
# What a list of cases shows of each (the OpenAPI CaseSummary); `detail` has every recorded field.
SUMMARY_FIELDS = ("id", "kind", "rule", "resource_id", "status", "reason", "opened_at", "updated_at", "detections")
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True, slots=True)
class ApiRequest:
    method: str
    # Header names lower-case.
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def reply(status: int, payload: Any, *, headers: Mapping[str, str] | None = None) -> ApiResponse:
    return ApiResponse(status, json.dumps(payload).encode(), JSON_TYPE, {**SECURITY_HEADERS, **(headers or {})})


def error(status: int, message: str, **extra: str) -> ApiResponse:
    return reply(status, {"error": message}, headers=extra)


def where(resource_id: str) -> dict[str, str | None]:
    """Where a resource is, for a person: its subscription, resource group and name, read from the id
    however it is spelled (an id the tenant sent may be odd: nothing here refuses it)."""
    parts = [p for p in resource_id.split("/") if p]
    low = [p.lower() for p in parts]
    subscription = parts[low.index("subscriptions") + 1] if "subscriptions" in low[:-1] else None
    group = parts[low.index("resourcegroups") + 1] if "resourcegroups" in low[:-1] else None
    return {"subscription_id": subscription, "resource_group": group, "resource_name": parts[-1] if parts else resource_id}


# The directory's answer for principal ids (`Directory.principals`): display names for people to read.
People = Callable[[Iterable[str]], Mapping[str, Person]]
# Evidence keys that hold a principal's object id.
PERSON_KEYS = (*CAUSER_KEYS, "principalId", "principal_id", "granted_by")


def principal_ids(case: Case) -> set[str]:
    """The object ids a person reads on this case: who caused it, whom it is about, who decided it."""
    found = [*case.causers, *(case.evidence.get(k) for k in PERSON_KEYS), *(a.principal for a in case.approvals)]
    found.append(finding_evidence(case).get("principalId"))
    found += [h.actor for h in case.history]
    # A reason may name principals by id (flap protection names who kept changing the setting back);
    # ids there that are not principals find nothing in the directory and stay as they are.
    found += GUID.findall(case.reason)
    return {g for x in found if isinstance(x, str) and (g := normalize_guid(x))}


def finding_evidence(case: Case) -> Mapping[str, Any]:
    finding = case.evidence.get("finding")
    evidence = finding.get("evidence") if isinstance(finding, Mapping) else None
    return evidence if isinstance(evidence, Mapping) else {}


def access(case: Case) -> dict[str, Any] | None:
    """An access case (a role assignment judged): who holds which role where, the role by name."""
    evidence = finding_evidence(case)
    role, principal = evidence.get("role"), evidence.get("principalId")
    if not isinstance(role, str) or not isinstance(principal, str):
        return None
    guid = role_guid(role) or role
    scope = evidence.get("scope")
    personas = evidence.get("personas")
    activity = case.evidence.get("activity")
    return {
        "principal_id": principal.lower(),
        "role_id": guid,
        "role_name": evidence.get("role_name") if isinstance(evidence.get("role_name"), str) else PRIVILEGED.get(guid.lower()),
        "scope": scope if isinstance(scope, str) else None,
        "personas": [str(p) for p in personas] if isinstance(personas, list) else [],
        # Evidence of use, where the access review read the Activity Log (an event's case has none).
        "last_activity": activity.get("last_activity") if isinstance(activity, Mapping) else None,
        "matched_by": activity.get("matched_by") if isinstance(activity, Mapping) else None,
        "use": describe_use(activity) if isinstance(activity, Mapping) else None,
        # Who made the assignment and when (ARM's createdBy and createdOn), where the review read them.
        "granted_by": _text(case.evidence.get("granted_by")),
        "granted_on": _text(case.evidence.get("granted_on")),
    }


def _scope_name(scope: str) -> str:
    """A scope as a person says it: "oai-contoso-prod", "resource group rg-ai-prod", "subscription S"."""
    names = layout.names(scope)
    if names:
        return names[-1]
    place = where(scope)
    return f"resource group {place['resource_group']}" if place["resource_group"] else f"subscription {place['subscription_id']}"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


_METAS: dict[str, RuleMeta] = {}


def rule_meta(rule_id: str) -> RuleMeta | None:
    if not _METAS:
        _METAS.update({m.id: m for m in rules.metas()})
    return _METAS.get(rule_id)


# Rules that are not in the catalog, by their own title.
RULE_NAMES = {ALERT_RULE: "Defender for AI alerts (incidents)"}


def _alert_title(case: Case) -> str | None:
    """An incident's title: the alert's display name."""
    alert = case.evidence.get("alert") if case.kind is CaseKind.INCIDENT else None
    name = alert.get("display_name") if isinstance(alert, Mapping) else None
    return f"Defender for AI: {name}" if isinstance(name, str) else None


def openapi_document() -> dict[str, Any]:
    text = resources.files("driftguard.cases").joinpath("openapi.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def check_same_origin(request: ApiRequest) -> None:
    """Refuses a state-changing request that a page of another site could have sent."""
    headers = request.headers
    if headers.get(REQUEST_HEADER) != "1":
        raise AuthError(403, f"missing the {REQUEST_HEADER} header: state-changing calls come from the console or an API client")
    if headers.get("content-type", "").split(";")[0].strip().lower() != JSON_TYPE:
        raise Refused(415, "send the body as application/json")
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise AuthError(403, "cross-site request refused")
    origin = headers.get("origin")
    if origin is not None:
        host = headers.get("x-forwarded-host") or headers.get("host", "")
        if urlsplit(origin).netloc.lower() != host.split(",")[0].strip().lower():
            raise AuthError(403, "cross-origin request refused")


class ApprovalApi:
    def __init__(
        self,
        desk: Callable[[], CaseDesk],
        *,
        easy_auth: bool,
        dry_run: bool = False,
        people: People | None = None,
        users: People | None = None,
        own_ids: Iterable[str] = (),
    ) -> None:
        """`desk` gives the approval desk, building it on first use. It is called only for a caller
        already authenticated: building it costs a managed identity token and the store's tables, and
        an anonymous request must cost nothing, nor fail differently when the store is down."""
        self._desk = desk
        self.easy_auth = easy_auth
        # The dry-run setting, for the console's banner: known without building the desk (which honours
        # it for every approval), since the page must cost nothing behind the desk.
        self.dry_run = dry_run
        # Display names from the directory (None: ids only). Asked once per id per process: a name
        # rarely changes, and the console must not call Graph for every row of every list.
        self._people = people
        # Users by the name the Activity Log gives them (`Directory.users`): an incident's recent changes.
        self._users = users
        # DriftGuard's own identity (the `identity_ids` setting): its changes are "driftguard", as in History.
        self._own = {g for i in own_ids if (g := normalize_guid(i))}
        self._known: dict[str, Person] = {}
        self._directory_down_until = 0.0

    @property
    def desk(self) -> CaseDesk:
        return self._desk()

    def _guard(self, request: ApiRequest, role: Role, handler: Callable[[Principal], ApiResponse]) -> ApiResponse:
        try:
            principal = authenticate(request.headers, easy_auth=self.easy_auth, role=role)
            if request.method.upper() not in ("GET", "HEAD"):
                check_same_origin(request)
            return handler(principal)
        except Refused as e:  # an AuthError too
            return error(e.status, e.message)
        except (StoreUnavailable, TransientWriteError) as e:
            # Nothing was decided: the caller may simply try again.
            return error(503, f"temporarily unavailable, try again: {e}", **{"Retry-After": "30"})

    # --- routes ---------------------------------------------------------------------------------------
    def list_cases(self, request: ApiRequest) -> ApiResponse:
        def handle(_: Principal) -> ApiResponse:
            raw = request.query.get("status")
            status: CaseStatus | None = None
            if raw:
                try:
                    status = CaseStatus(raw)
                except ValueError:
                    raise Refused(400, f"unknown status {quoted(raw)} (one of: {', '.join(s.value for s in CaseStatus)})") from None
            cases = list(self.desk.cases(status=status))
            self._learn(i for c in cases for i in principal_ids(c))
            return reply(200, {"cases": [self.summary(c) for c in cases]})

        return self._guard(request, Role.READER, handle)

    def get_case(self, request: ApiRequest, case_id: str) -> ApiResponse:
        return self._guard(request, Role.READER, lambda _: reply(200, self.detail(self.desk.case(case_id))))

    def decide(self, request: ApiRequest, case_id: str, action: str) -> ApiResponse:
        def handle(principal: Principal) -> ApiResponse:
            body = self._body(request)
            if action == "approve":
                outcome = self.desk.approve(case_id, principal, reason=body.get("reason"), plan_digest=body.get("plan_digest"))
            elif action == "reject":
                outcome = self.desk.reject(case_id, principal, reason=body.get("reason"))
            elif action == "rollback":
                outcome = self.desk.request_rollback(case_id, principal, reason=body.get("reason"))
            else:
                raise Refused(404, f"unknown action {quoted(action)} (approve, reject or rollback)")
            nxt = self.detail(outcome.next_case) if outcome.next_case else None
            return reply(200, {"case": self.detail(outcome.case), "message": outcome.message, "next_case": nxt})

        return self._guard(request, Role.APPROVER, handle)

    def console(self, request: ApiRequest) -> ApiResponse:
        """The approvers' page: one document, its script and style inline under a per-response nonce,
        nothing loaded from anywhere else."""

        def handle(principal: Principal) -> ApiResponse:
            nonce = secrets.token_urlsafe(18)
            page = TEMPLATES.get_template("console.html.j2").render(
                nonce=nonce,
                principal_name=principal.name,
                approver=principal.can(Role.APPROVER),
                # The signed-in user's ids: the console offers no Approve to whoever may not approve.
                me=sorted(principal.identities),
                dry_run=self.dry_run,
                statuses=[*(s.value for s in CaseStatus), "all"],
            )
            csp = (
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
                "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            )
            headers = {**SECURITY_HEADERS, "Content-Security-Policy": csp, "X-Frame-Options": "DENY"}
            return ApiResponse(200, page.encode(), "text/html; charset=utf-8", headers)

        return self._guard(request, Role.READER, handle)

    def openapi(self, request: ApiRequest) -> ApiResponse:
        # The document is no secret (it is in the repository), but the app answers no one it does not
        # know: an anonymous caller learns nothing, not even that this is DriftGuard. It describes
        # calls a reader can make, so a reader may read it.
        return self._guard(request, Role.READER, lambda _: reply(200, openapi_document()))

    # --- shapes ------------------------------------------------------------------------------------------
    @staticmethod
    def _body(request: ApiRequest) -> Mapping[str, Any]:
        if len(request.body) > MAX_BODY:
            raise Refused(413, f"the body is larger than {MAX_BODY} bytes")
        try:
            body = parse(json.loads, request.body or b"{}", "the body")
        except TooDeep as e:
            raise Refused(400, str(e)) from e
        except ValueError as e:
            raise Refused(400, f"the body is not JSON: {e}") from e
        if not isinstance(body, dict):
            raise Refused(400, "the body must be a JSON object")
        return body

    def _learn(self, ids: Iterable[str]) -> None:
        unknown = set(ids) - self._known.keys()
        if not unknown or self._people is None or time.monotonic() < self._directory_down_until:
            return
        try:
            self._known.update(self._people(unknown))
        except InventoryError:
            # The directory is down (or the identity may not read it): the console shows ids, as it
            # would with no directory, and does not ask again for a while.
            self._directory_down_until = time.monotonic() + DIRECTORY_RETRY_S

    def people(self, case: Case) -> dict[str, dict[str, str | None]]:
        """Who the ids on this case are, as the directory names them; ids it was not asked about, or
        that have no name, are left out. The principal an access case is about, when the directory no
        longer has it, is named "deleted principal <id>" (not a caller's id: an app id is no object id,
        and the directory never finds it)."""
        ids = principal_ids(case)
        self._learn(ids)
        about = {
            normalize_guid(x) for x in (case.evidence.get("principalId"), finding_evidence(case).get("principalId")) if isinstance(x, str)
        }
        named = [p for i in sorted(ids) if (p := self._known.get(i)) and (p.display_name or (not p.exists and p.id in about))]
        # The console shows the name and puts the UPN and id on hover.
        return {p.id: {"name": p.display_name or p.label, "upn": p.user_principal_name, "kind": p.kind} for p in named}

    def summary(self, case: Case) -> dict[str, Any]:
        """A case in a list: the recorded fields a list shows, and the derived ones."""
        recorded = case_to_json(case)
        return {**{k: recorded[k] for k in SUMMARY_FIELDS}, **self._derived(case)}

    def detail(self, case: Case) -> dict[str, Any]:
        """Every recorded field, the derived ones, and the rule: why it matters and its references."""
        meta = rule_meta(case.rule)
        about: dict[str, Any] = {
            "rule_guidance": meta.seed_section if meta else None,
            "rule_remediation": meta.remediation if meta else None,
            "rule_references": [{"kind": r.kind, "id": r.id, "title": r.title, "url": reference_url(r.kind, r.id)} for r in meta.references]
            if meta
            else [],
            "fix_touches": self.touches(case),
        }
        if case.kind is CaseKind.INCIDENT:
            about["incident_names"] = self.incident_names(case)
            # An incident is about a Defender for AI alert, not a rule: its kind's playbook and references.
            references = case.evidence.get("references")
            about["rule_guidance"] = "Threat protection: a Defender for AI alert on the resource"
            about["rule_remediation"] = case.evidence.get("playbook")
            about["rule_references"] = (
                [{**r, "url": reference_url(str(r.get("kind")), str(r.get("id")))} for r in references if isinstance(r, Mapping)]
                if isinstance(references, list)
                else []
            )
        return {**case_to_json(case), **self._derived(case), **about}

    def incident_names(self, case: Case) -> dict[str, Any]:
        """An incident's evidence as a person reads it: each resource as the CLI names it (a role
        assignment as who holds which role where, when a case judges it), each rule by its title, each
        Activity Log caller by its directory name ("driftguard" for DriftGuard's own changes)."""
        evidence = case.evidence
        findings = [f for f in evidence.get("open_findings") or [] if isinstance(f, Mapping)]
        changes = [x for x in evidence.get("recent_changes") or [] if isinstance(x, Mapping)]
        rids = {str(x["resource_id"]) for x in (*findings, *changes) if isinstance(x.get("resource_id"), str)}
        resources = {rid: layout.where(rid) for rid in rids}
        # The Activity Log lower-cases ids: one assignment may be here spelled two ways.
        assignments: dict[str, list[str]] = {}
        for rid in rids:
            if "/roleassignments/" in rid.lower():
                assignments.setdefault(rid.lower(), []).append(rid)
        if assignments:
            for judged in self.desk.store.cases():
                spellings = assignments.get(judged.resource_id.lower(), [])
                held = access(judged) if spellings else None
                if held:
                    person = self.people(judged).get(held["principal_id"], {}).get("name") or held["principal_id"]
                    scope = held["scope"]
                    said = f"{person}: {held['role_name'] or held['role_id']} on {_scope_name(scope) if scope else layout.where(judged.resource_id)}"
                    resources.update(dict.fromkeys(spellings, said))
        titles = {str(f.get("rule")): (m.title if (m := rule_meta(str(f.get("rule")))) else str(f.get("rule"))) for f in findings}
        callers: dict[str, dict[str, str]] = {}
        guids = {g for x in changes if (g := normalize_guid(str(x.get("caller") or "")))}
        self._learn(guids - self._own)
        upns = {str(x.get("caller")).lower() for x in changes if "@" in str(x.get("caller") or "")}
        found: Mapping[str, Person] = {}
        if upns and self._users is not None:
            try:
                found = self._users(upns)
            except InventoryError:
                found = {}
        for x in changes:
            caller = str(x.get("caller") or "")
            guid = normalize_guid(caller)
            if (guid and guid in self._own) or str(x.get("correlation_id") or "").startswith("driftguard-"):
                callers[caller] = {"name": "driftguard", "title": caller}
            elif guid and (p := self._known.get(guid)) and p.display_name:
                callers[caller] = {"name": p.display_name, "title": f"{p.user_principal_name} · {guid}" if p.user_principal_name else guid}
            elif (p := found.get(caller.lower())) and p.display_name:
                callers[caller] = {"name": p.display_name, "title": f"{caller} · {p.id}"}
        return {"resources": resources, "rules": titles, "callers": callers}

    def touches(self, case: Case) -> str | None:
        """What else the case's plan touches, in the words of its remediation (None without a plan).
        A batch of removals names no remediation in its plan: its rule is the removal's id."""
        if case.plan is None:
            return None
        meta = rule_meta(case.rule)
        rid = case.plan.get("remediation") or (meta.remediation if meta else None) or case.rule
        remediation = self.desk.remediations.get(str(rid))
        return remediation.side_effects(rollback=case.kind is CaseKind.ROLLBACK) if remediation else None

    def _derived(self, case: Case) -> dict[str, Any]:
        meta = rule_meta(case.rule)
        finding = case.evidence.get("finding") if isinstance(case.evidence, Mapping) else None
        severity = finding.get("severity") if isinstance(finding, Mapping) else None
        if not isinstance(severity, str):
            severity = meta.severity.label if meta else None
        return {
            **where(case.resource_id),
            # The CLI's naming (one piece of code for one job): a child resource after its parent.
            "where": layout.where(case.resource_id),
            "severity": severity,
            "rule_title": meta.title if meta else _alert_title(case),
            # The rule's own title, the same for every case of the rule (an incident's rule_title is its alert's).
            "rule_name": meta.title if meta else RULE_NAMES.get(case.rule, case.rule),
            "people": self.people(case),
            "sla_due_at": (case.opened_at + timedelta(hours=self.desk.policy.approvals.sla_hours)).isoformat(),
            "has_plan": case.plan_digest is not None,
            "caused_by": sorted(case.causers),
            "approvals_given": len(case.valid_approvals),
            "approvals_needed": self.desk.approvers_needed(case),
            # Who holds which role where (an access case): a list row names them, not the assignment's id.
            "access": access(case),
        }
