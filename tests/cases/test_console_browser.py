"""The console end to end in headless Chromium (Debian's, driven by Playwright) against the simulator:
the list loads, an approval applies the fix and the simulator shows it; what the tenant or a person
typed is shown as text, never run as HTML."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from driftguard.cases.api import ApprovalApi
from driftguard.cases.auth import Role, encode_principal
from driftguard.compose import SimulatedWorld
from driftguard.policy import load_policy
from driftguard.store.base import Case, CaseStatus
from functions.devhost import DevHost, serving
from simulator.server import SimulatorServer
from tests.cases.conftest import ALICE, DEVELOPER, DemoWorld, HostedApp
from tests.cases.test_desk import PRIVILEGED, PUBLIC, _owner_grant
from tests.cases.ticket_systems import TicketSystems

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which a closed
# network refuses; --no-sandbox because CI runs as root.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make test`, which installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def console(demo: DemoWorld, hosted: HostedApp) -> Iterator[DevHost]:
    # People by name: the simulated directory knows the developer and the approver.
    demo.world.sim.directory.add(DEVELOPER, "User", "Dana Developer", upn="dana@contoso.example")
    demo.world.sim.directory.add(ALICE.object_id, "User", "Alice Approver")
    hosted.runtime.install_approvals(ApprovalApi(lambda: demo.desk, easy_auth=True, people=demo.world.directory().principals))
    alice = encode_principal(ALICE.object_id, "Alice Approver", (Role.APPROVER.value,))
    with serving(hosted.functions, principal_header=alice) as host:
        yield host


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Anything the page tries to load from outside the app fails the test.
    page.on("request", lambda r: errors.append(f"external request {r.url}") if not r.url.startswith("http://127.0.0.1") else None)
    yield page
    context.close()
    assert errors == []


def test_an_approval_in_the_console_applies_the_fix(page: Page, console: DevHost, demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    page.goto(f"{console.url}/api/console")
    rows = page.locator("#cases tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == len(list(demo.world.store.cases(status=demo.world.store.case(case.id).status)))  # type: ignore[union-attr]
    page.locator(f'#cases tbody tr[data-id="{case.id}"]').click()
    expect(page.locator("#rule-id")).to_contain_text(PUBLIC)
    expect(page.locator("#detail td.before").first).to_have_text("Enabled")
    expect(page.locator("#detail td.after").first).to_have_text("Disabled")
    expect(page.locator("#digest")).to_contain_text(str(case.plan_digest))
    # What else the fix touches, beside the plan and again in the confirmation, in its remediation's words.
    touches = "without a private endpoint to the account are cut off"
    expect(page.locator("#touches")).to_contain_text(touches)
    page.fill("#reason", "approved in the console, CHG-42")
    page.click("#approve")
    expect(page.locator("#confirm")).to_contain_text("Apply: disable public network access")
    expect(page.locator("#confirm-touches")).to_contain_text(touches)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#confirm").screenshot(path=str(SCREENSHOTS / "console-confirm.png"))
    page.click("#confirm-yes")
    expect(page.locator("#message")).to_contain_text("applied and verified")
    resource = demo.resource(case.resource_id)
    assert resource is not None
    assert resource["properties"]["publicNetworkAccess"] == "Disabled"  # type: ignore[index]
    stored = demo.desk.case(case.id)
    assert stored.approvals[0].reason == "approved in the console, CHG-42"
    assert stored.approvals[0].name == "Alice Approver"
    # The open list no longer shows it; the applied one does, with its history.
    expect(page.locator(f'#cases tbody tr[data-id="{case.id}"]')).to_have_count(0)
    page.click('#tabs button[data-status="applied"]')
    page.locator(f'#cases tbody tr[data-id="{case.id}"]').click()
    expect(page.locator("#detail")).to_contain_text("approved in the console, CHG-42")
    expect(page.locator("#rollback")).to_be_visible()


def test_html_in_reasons_is_shown_as_text(page: Page, console: DevHost, demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    page.goto(f"{console.url}/api/console")
    page.locator(f'#cases tbody tr[data-id="{case.id}"]').click()
    attack = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    page.fill("#reason", attack)
    page.click("#reject")
    expect(page.locator("#message")).to_contain_text("rejected")
    expect(page.locator("#detail")).to_contain_text(attack)  # the text itself, shown
    assert page.locator("#detail img").count() == 0
    assert page.locator("#detail script").count() == 0
    assert page.evaluate("window.pwned") is None


def test_markup_in_a_resource_name_is_shown_as_text(page: Page, console: DevHost, demo: DemoWorld) -> None:
    from datetime import UTC, datetime

    from driftguard.store.base import Case, CaseStatus

    now = datetime.now(UTC)
    rid = '/subscriptions/x/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/<img src=x onerror="window.pwned=1">'
    odd = demo.world.store.open_case(Case(f"{PUBLIC}|{rid}", PUBLIC, rid, CaseStatus.OPEN, "<b>bold?</b>", now, now))
    page.goto(f"{console.url}/api/console")
    row = page.locator(f'#cases tbody tr[data-id="{odd.id}"]')
    expect(row).to_contain_text('<img src=x onerror="window.pwned=1">')
    row.click()
    expect(page.locator("#detail")).to_contain_text("<b>bold?</b>")
    assert page.locator("#cases img, #detail img, #detail b").count() == 0
    assert page.evaluate("window.pwned") is None


def test_a_refusal_is_shown_to_the_approver(page: Page, console: DevHost, demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    page.goto(f"{console.url}/api/console")
    page.locator(f'#cases tbody tr[data-id="{case.id}"]').click()
    page.fill("#reason", "looks right")
    page.click("#approve")
    page.click("#confirm-no")  # cancelled: nothing is sent
    expect(page.locator("#message")).to_have_text("")
    page.fill("#reason", "  ")
    page.click("#approve")  # no reason given: checked before the confirmation, the reason field focused
    expect(page.locator("#confirm")).not_to_be_visible()
    expect(page.locator("#message")).to_have_text("A reason is required: say why you approve this change.")
    expect(page.locator("#reason")).to_be_focused()
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    page.fill("#reason", "looks right")
    page.click("#approve")  # the reason is there now: the confirmation opens and the old message is gone
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#message")).not_to_contain_text("A reason is required")
    page.click("#confirm-no")
    resource = demo.resource(case.resource_id)
    assert resource is not None
    assert resource["properties"]["publicNetworkAccess"] == "Enabled"  # type: ignore[index]


def test_a_ticket_link_opens_its_case(page: Page, console: DevHost, demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    page.goto(f"{console.url}/api/console#case={case.id}")
    expect(page.locator("#rule-id")).to_contain_text(PUBLIC)
    expect(page.locator("#digest")).to_contain_text(str(case.plan_digest))


def test_an_approval_in_the_console_closes_every_ticket(
    browser: Browser, wired: tuple[DemoWorld, TicketSystems, SimulatorServer], hosted: HostedApp
) -> None:
    demo, systems, _ = wired
    assert demo.outbox is not None
    demo.outbox.deliver()
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    hosted.runtime.install_approvals(ApprovalApi(lambda: demo.desk, easy_auth=True))
    alice = encode_principal(ALICE.object_id, "Alice Approver", (Role.APPROVER.value,))
    context = browser.new_context()
    page = context.new_page()
    with serving(hosted.functions, principal_header=alice) as host:
        page.goto(f"{host.url}/api/console#case={case.id}")
        page.fill("#reason", "approved in the console")
        page.click("#approve")
        page.click("#confirm-yes")
        expect(page.locator("#message")).to_contain_text("applied and verified")
    context.close()
    demo.outbox.deliver()
    title = f"[DriftGuard] {PUBLIC} on oai-contoso-prod-eu"
    for name in ("github", "ado", "servicenow", "jira"):
        mine = [t for t in systems.tickets[name].values() if t.title == title]
        assert [t.history for t in mine] == [["created", "closed"]], name
    assert [e["type"] for e in demo.world.sim.topic_events if e["data"].get("case_id") == case.id][-1] == "DriftGuard.Remediation.Applied"


def test_a_case_shows_its_finding_and_a_ticket_asks_for_no_approval(page: Page, console: DevHost, demo: DemoWorld) -> None:
    fix = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    page.goto(f"{console.url}/api/console#case={fix.id}")
    expect(page.locator("#detail")).to_contain_text("public network access is enabled and the network ACLs allow all traffic")
    expect(page.locator("#detail .sev").first).to_have_text("high")
    expect(page.locator("#evidence")).to_contain_text('"publicNetworkAccess": "Enabled"')
    expect(page.locator("#dry-run")).to_have_count(0)
    ticket = demo.open_case("cognitiveservices_account_network_rules_restricted", "oai-contoso-prod-eu")
    assert ticket.plan is None
    page.locator(f'#cases tbody tr[data-id="{ticket.id}"]').click()
    expect(page.locator("#evidence")).to_contain_text("0.0.0.0/0")  # which IP rule
    expect(page.locator("#detail")).to_contain_text("Ticket: no automated fix")
    expect(page.locator("#detail")).not_to_contain_text("Approvals (")
    assert page.locator("#approve").count() == 0


def test_in_dry_run_the_console_says_so_and_an_approval_writes_nothing(page: Page, demo: DemoWorld, hosted: HostedApp) -> None:
    desk = demo.world.desk(demo.policy, dry_run=True)
    hosted.runtime.install_approvals(ApprovalApi(lambda: desk, easy_auth=True, dry_run=True))
    writes: list[dict[str, object]] = []
    demo.world.sim.writes.subscribe(writes.append)
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    alice = encode_principal(ALICE.object_id, "Alice Approver", (Role.APPROVER.value,))
    with serving(hosted.functions, principal_header=alice) as host:
        page.goto(f"{host.url}/api/console#case={case.id}")
        expect(page.locator("#dry-run")).to_contain_text("nothing is sent to Azure")
        expect(page.locator("p.meta")).to_contain_text("Approving records your approval only: nothing is sent to Azure.")
        expect(page.locator("p.meta")).not_to_contain_text("Approving sends exactly the requests shown")
        page.fill("#reason", "approved in dry run")
        # The button and the confirmation say that an approval in dry run writes nothing.
        expect(page.locator("#approve")).to_have_text("Record approval (dry run: nothing is written)")
        page.click("#approve")
        expect(page.locator("#confirm-what")).to_have_text("Dry run: this records your approval; nothing is sent to Azure")
        expect(page.locator("#confirm")).not_to_contain_text("Apply: ")
        expect(page.locator("#confirm")).not_to_contain_text("Approve and apply")
        expect(page.locator("#confirm-yes")).to_have_text("Record approval")
        page.click("#confirm-yes")
        expect(page.locator("#message")).to_contain_text("dry run: approval recorded, nothing sent to Azure")
        # Approved in dry run: no second "Approve and apply", and the reason why.
        expect(page.locator("#approve")).to_have_count(0)
        expect(page.locator("#approve-why")).to_have_text(
            "Approved in dry run: nothing was sent to Azure; the fix is applied once dry run is off."
        )
    assert writes == []
    resource = demo.resource(case.resource_id)
    assert resource is not None
    assert resource["properties"]["publicNetworkAccess"] == "Enabled"  # type: ignore[index]


def test_rows_open_by_keyboard_and_the_url_follows_the_case(page: Page, console: DevHost, demo: DemoWorld) -> None:
    first = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    second = demo.open_case("search_service_public_network_access_disabled", "srch-contoso-rag")
    page.goto(f"{console.url}/api/console")
    row = page.locator(f'#cases tbody tr[data-id="{first.id}"]')
    row.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#digest")).to_contain_text(str(first.plan_digest))
    assert page.evaluate("window.location.hash") == f"#case={first.id}"
    page.locator(f'#cases tbody tr[data-id="{second.id}"]').focus()
    page.keyboard.press(" ")
    expect(page.locator("#digest")).to_contain_text(str(second.plan_digest))
    assert page.evaluate("window.location.hash") == f"#case={second.id}"
    page.go_back()
    expect(page.locator("#digest")).to_contain_text(str(first.plan_digest))


def test_the_list_headers_stay_horizontal_at_1400_px(page: Page, console: DevHost, demo: DemoWorld) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{console.url}/api/console")
    expect(page.locator("#cases tbody tr").first).to_be_visible()
    for header in page.locator("#cases thead th").all():
        box = header.bounding_box()
        assert box is not None
        assert box["width"] > box["height"], (header.text_content(), box)  # not one letter a line


ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
# axe-core from npm (the Makefile's `unit` installs it into .tools, as it does Azurite).
AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1400, 1024, 420)
Box = dict[str, float]


def _overlap(a: Box, b: Box) -> bool:
    """Whether two boxes share more than a pixel's edge."""
    return (
        min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]) > 1
        and min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > 1
    )


def _boxes(page: Page, selector: str) -> list[Box]:
    boxes = [loc.bounding_box() for loc in page.locator(selector).all()]
    return [b for b in boxes if b is not None and b["width"] > 0 and b["height"] > 0]


def _a_console_with_cases(page: Page, console: DevHost, demo: DemoWorld, width: int) -> None:
    fix = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    demo.open_case("cognitiveservices_account_network_rules_restricted", "oai-contoso-prod-eu")
    demo.open_case("search_service_public_network_access_disabled", "srch-contoso-rag")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{console.url}/api/console#case={fix.id}")
    expect(page.locator("#digest")).to_contain_text(str(fix.plan_digest))
    expect(page.locator("#cases tbody tr").first).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_console_lays_out_without_overlap(page: Page, console: DevHost, demo: DemoWorld, width: int) -> None:
    _a_console_with_cases(page, console, demo, width)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{width}.png"))  # what the approver first sees
    page.screenshot(path=str(SCREENSHOTS / f"console-{width}-full.png"), full_page=True)
    page.locator("#detail").screenshot(path=str(SCREENSHOTS / f"console-{width}-case.png"))
    # The page never scrolls sideways.
    wide = page.evaluate(
        """(w) => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > w + 1 || e.scrollWidth > w + 1)
             .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + e.scrollWidth)""",
        width,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
    # The list and the case never cover each other; narrower than 1280 px the case is under the list.
    (listed,) = _boxes(page, ".layout > section:first-child")
    (case,) = _boxes(page, "#detail")
    assert not _overlap(listed, case), (listed, case)
    if width < 1280:
        assert case["y"] >= listed["y"] + listed["height"], (listed, case)
    # No two header cells, nor two cells of a row, cover each other, and every cell holds its text.
    rows = ["#cases thead tr", *(f"#cases tbody tr:nth-child({i + 1})" for i in range(page.locator("#cases tbody tr").count()))]
    for row in rows:
        cells = _boxes(page, f"{row} > *")
        for i, a in enumerate(cells):
            for b in cells[i + 1 :]:
                assert not _overlap(a, b), (width, row, a, b)
    spilled = page.evaluate(
        """() => Array.from(document.querySelectorAll('#cases td, #cases th, #detail td, #detail th'))
             .filter(c => c.offsetWidth > 0 && c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)"""
    )
    assert spilled == [], (width, spilled)


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_serious_or_critical_violation(browser: Browser, console: DevHost, demo: DemoWorld, width: int) -> None:
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make unit`, which installs it from npm")
    # The page's CSP admits only its own nonce'd script: for the axe run alone, Playwright bypasses it.
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        _a_console_with_cases(page, console, demo, width)
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
        bad = [
            (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in found
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], bad
        # And with the confirmation open (a modal: the rest of the page is inert).
        page.fill("#reason", "checked")
        page.click("#approve")
        expect(page.locator("#confirm")).to_be_visible()
        found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
        bad = [(v["id"], v["impact"], v["help"]) for v in found if v["impact"] in ("serious", "critical")]
        assert bad == [], bad
    finally:
        context.close()


def test_people_are_named_with_their_id_on_hover(page: Page, console: DevHost, demo: DemoWorld) -> None:
    grant = _owner_grant(demo)
    case = demo.open_case(PRIVILEGED, grant.rsplit("/", 1)[-1])
    page.goto(f"{console.url}/api/console#case={case.id}")
    by = page.locator(f'#cases tbody tr[data-id="{case.id}"] td.c-by .person')
    expect(by).to_have_text("Dana Developer")
    expect(by).to_have_attribute("title", f"dana@contoso.example · {DEVELOPER}")
    expect(page.locator("#caused-by .person")).to_have_text("Dana Developer")
    expect(page.locator("#caused-by .person")).to_have_attribute("title", f"dana@contoso.example · {DEVELOPER}")
    # An access case: the principal by name, the role by name (its id on hover), the scope.
    expect(page.locator("#access .person")).to_have_text("Dana Developer")
    expect(page.locator("#access")).to_contain_text("Owner")
    expect(page.locator("#access")).to_contain_text(f"{demo.world.sample.PROD} / rg-ai-prod / oai-contoso-prod")
    # What the fix touches: that principal's access at that scope.
    expect(page.locator("#touches")).to_contain_text("at this scope")
    # Opened from the grant's event: no Activity Log was read, and the case says so.
    expect(page.locator("#use")).to_contain_text("not read for this case")


def test_an_access_review_case_shows_the_evidence_of_use(page: Page, console: DevHost, demo: DemoWorld) -> None:
    from datetime import UTC, datetime

    from driftguard.review import open_removal_cases

    opened = open_removal_cases(demo.world.review(demo.policy), store=demo.world.store, policy=demo.policy, now=datetime.now(UTC))
    cases = [demo.world.store.case(i) for i in opened.opened]
    escalated = next(c for c in cases if c and str(c.evidence.get("principalId")).endswith("a001"))
    orphaned = next(c for c in cases if c and str(c.evidence.get("principalId")).endswith("c003"))
    page.goto(f"{console.url}/api/console#case={escalated.id}")
    expect(page.locator("#access .person")).to_have_text("Alice Okafor")
    expect(page.locator("#access")).to_contain_text("Owner")
    expect(page.locator("#use")).to_contain_text("last activity 20")
    expect(page.locator("#use")).to_contain_text("UTC (matched by caller and scope)")
    expect(page.locator("#granted .person")).to_have_text("Priya Platform")
    expect(page.locator("#caused-by .person")).to_have_text("Priya Platform")  # who made it, not who holds it
    page.locator(f'#cases tbody tr[data-id="{orphaned.id}"]').click()
    expect(page.locator("#access .person")).to_have_text(f"deleted principal {orphaned.evidence['principalId']}")
    expect(page.locator("#use")).to_contain_text("no activity in 90 days")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#detail").screenshot(path=str(SCREENSHOTS / "console-access-review-case.png"))


def test_the_list_filters_and_sorts(page: Page, console: DevHost, demo: DemoWorld) -> None:
    page.goto(f"{console.url}/api/console")
    rows = page.locator("#cases tbody tr")
    expect(rows.first).to_be_visible()
    total = rows.count()
    cases = {c.id: c for c in demo.world.store.cases()}
    # By rule: only that rule's cases.
    page.select_option("#f-rule", PUBLIC)
    ids = [r.get_attribute("data-id") for r in rows.all()]
    assert ids
    assert all(cases[str(i)].rule == PUBLIC for i in ids)
    page.select_option("#f-rule", "")
    # By subscription: each row is in it, and the list says where (subscription / resource group / name).
    prod = demo.world.sample.PROD
    page.select_option("#f-subscription", prod)
    assert 0 < rows.count() < total
    for row in rows.all():
        expect(row.locator(".where")).to_contain_text(f"{prod} / ")
    page.select_option("#f-subscription", "")
    # By severity: "critical and above" keeps none of the high cases; everything is back with "any".
    page.select_option("#f-severity", "critical")
    assert all(r.locator(".sev").text_content() == "critical" for r in rows.all())
    page.select_option("#f-severity", "")
    expect(rows).to_have_count(total)
    # By age: nothing here is a day old.
    page.select_option("#f-age", "86400")
    expect(rows).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    page.select_option("#f-age", "")
    # Sorted by rule: the titles in order.
    page.select_option("#sort", "rule")
    titles = [r.locator(".rule").text_content() or "" for r in rows.all()]
    assert titles == sorted(titles, key=str.lower) or titles == sorted(titles)


def test_an_approval_by_keyboard_alone(page: Page, console: DevHost, demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    page.goto(f"{console.url}/api/console")
    expect(page.locator("#cases tbody tr").first).to_be_visible()
    row = page.locator(f'#cases tbody tr[data-id="{case.id}"]')
    for _ in range(200):  # Tab until the row has the focus
        page.keyboard.press("Tab")
        if row.evaluate("r => r === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.locator("#digest")).to_contain_text(str(case.plan_digest))
    expect(page.locator("#detail h2")).to_be_focused()  # the focus moved to the case
    for _ in range(20):
        if page.locator("#reason").evaluate("r => r === document.activeElement"):
            break
        page.keyboard.press("Tab")
    page.keyboard.type("approved by keyboard, CHG-9")
    page.keyboard.press("Tab")
    expect(page.locator("#approve")).to_be_focused()
    page.keyboard.press("Enter")
    # The dialog takes the focus on Cancel: Enter twice on Approve does not approve.
    expect(page.locator("#confirm-no")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#confirm")).not_to_be_visible()
    assert demo.desk.case(case.id).status is CaseStatus.OPEN
    page.locator("#approve").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#confirm-yes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_contain_text("applied and verified")


def test_a_flapping_case_names_who_kept_changing_it_back(page: Page, console: DevHost, demo: DemoWorld) -> None:
    from driftguard.demo import PIPELINE
    from driftguard.store.base import CaseStatus

    demo.world.sim.directory.add(PIPELINE, "ServicePrincipal", "deploy-pipeline")
    oai = (
        f"/subscriptions/{demo.world.sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
    )
    for _ in range(5):
        demo.world.act_as(
            PIPELINE, "PATCH", oai, {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}}
        )
        demo.deliver()
    case = next(c for c in demo.world.store.cases(status=CaseStatus.OPEN) if c.reason.startswith("flapping"))
    assert PIPELINE in case.reason  # the engine records the id; the console names it
    page.goto(f"{console.url}/api/console#case={case.id}")
    expect(page.locator("#reason-text")).to_contain_text("Changed back by: deploy-pipeline")
    expect(page.locator("#reason-text")).not_to_contain_text(PIPELINE)


def test_an_incident_shows_its_alert_and_its_playbook_applies_on_approval(page: Page, console: DevHost, demo: DemoWorld) -> None:
    demo.world.incidents(demo.policy).sweep()
    incidents = [c for c in demo.world.store.cases() if c.kind.value == "incident"]
    case = next(c for c in incidents if c.plan_digest)
    page.goto(f"{console.url}/api/console#case={case.id}")
    expect(page.locator("#detail h2")).to_contain_text("Defender for AI: A Jailbreak attempt")
    expect(page.locator("#alert")).to_contain_text("AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt")
    expect(page.locator("#alert")).to_contain_text("ip 203.0.113.45")
    expect(page.locator("#alert")).to_contain_text("Open findings on the resource")
    expect(page.locator("#alert")).to_contain_text("Recent changes (Activity Log, 24 h)")
    expect(page.locator("#why")).to_contain_text("AML.T0051")
    page.fill("#reason", "contain the jailbreak")
    page.click("#approve")
    expect(page.locator("#confirm")).to_contain_text("turn the jailbreak filter of RAI policy 'relaxed-debug' to blocking")
    page.click("#confirm-yes")
    expect(page.locator("#message")).to_contain_text("applied and verified")
    policy = demo.resource(case.resource_id)
    assert policy is not None
    jailbreak = [f for f in policy["properties"]["contentFilters"] if f["name"] == "Jailbreak"]  # type: ignore[index]
    assert jailbreak[0]["blocking"] is True
    page.click('#tabs button[data-status="applied"]')
    page.locator(f'#cases tbody tr[data-id="{case.id}"]').click()
    expect(page.locator("#rollback")).to_be_visible()


# --- the console as `make console` seeds it (the demo's whole story) ---------------------------------


@pytest.fixture
def story(tmp_path: Path, hosted: HostedApp) -> Iterator[tuple[DevHost, SimulatedWorld]]:
    from functions.devhost import ALICE_ID, seed_story

    policy = load_policy(ROOT / "examples" / "policy.json")
    world = SimulatedWorld(tmp_path, policy)
    world.sweep()
    seed_story(world, policy)
    desk = world.desk(policy)
    graph = world.directory()
    hosted.runtime.install_approvals(
        ApprovalApi(lambda: desk, easy_auth=True, people=graph.principals, users=graph.users, own_ids=(world.DRIFTGUARD,))
    )
    user = encode_principal(ALICE_ID, "Local Approver", (Role.APPROVER.value,))
    with serving(hosted.functions, principal_header=user) as host:
        yield host, world


def _story_case(world: SimulatedWorld, rule: str, name: str, status: CaseStatus = CaseStatus.OPEN) -> Case:
    return next(c for c in world.store.cases(status=status) if c.rule == rule and c.resource_id.rsplit("/", 1)[-1] == name)


DANA_GRANT = "0f6b0c1e-0042-4a00-8000-000000000042"


@pytest.mark.parametrize("width", WIDTHS)
def test_an_access_case_names_who_holds_which_role_where(page: Page, story: tuple[DevHost, SimulatedWorld], width: int) -> None:
    host, world = story
    case = _story_case(world, PRIVILEGED, DANA_GRANT)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{host.url}/api/console#case={case.id}")
    said = "Dana Developer: Owner on oai-contoso-prod"
    row = page.locator(f'#cases tbody tr[data-id="{case.id}"] .where')
    expect(row).to_have_text(said)
    expect(row).to_have_attribute("title", case.resource_id)
    expect(page.locator("#where")).to_have_text(said)
    # Before and after as people read them: the assignment as who holds which role where, then one
    # property a line, the role by name and the principal by name (ids on hover); after: none.
    before = page.locator("#plan-values td.before")
    expect(before).to_contain_text(said)
    expect(before).to_contain_text("roleDefinitionId: Owner")
    expect(before).not_to_contain_text('{"')
    expect(page.locator("#plan-values td.after")).to_have_text("none")
    box = before.bounding_box()
    assert box is not None
    assert box["width"] >= 150, box  # not a narrow column wrapping the JSON a character a line
    spilled = page.evaluate(
        "() => Array.from(document.querySelectorAll('#plan-values td')).filter(c => c.scrollWidth > c.clientWidth + 1).length"
    )
    assert spilled == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#detail").screenshot(path=str(SCREENSHOTS / f"console-access-case-{width}.png"))
    # The confirmation names the change in people's words: what, on which resource, for whom.
    page.fill("#reason", "second approval")
    page.click("#approve")
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("Apply: remove the Owner role assignment")
    expect(page.locator("#confirm-on")).to_contain_text(f"On: oai-contoso-prod ({world.sample.PROD} / rg-ai-prod / oai-contoso-prod)")
    expect(page.locator("#confirm-on span")).to_have_attribute("title", case.resource_id)
    expect(page.locator("#confirm-whom")).to_have_text("For: Dana Developer (Owner on oai-contoso-prod)")
    expect(page.locator("#confirm-whom .person")).to_have_attribute("title", f"dana.developer@contoso.onmicrosoft.com · {DEVELOPER}")
    page.locator("#confirm").screenshot(path=str(SCREENSHOTS / f"console-access-confirm-{width}.png"))
    page.click("#confirm-no")


def test_who_caused_it_says_when(page: Page, story: tuple[DevHost, SimulatedWorld]) -> None:
    host, world = story
    case = _story_case(world, PRIVILEGED, DANA_GRANT)
    page.goto(f"{host.url}/api/console#case={case.id}")
    caused = page.locator("#caused-by")
    expect(caused.locator("th")).to_have_text(["who", "when", "client app id", "correlation id", "event id"])
    cells = caused.locator("tbody td")
    expect(cells.nth(0)).to_have_text("Dana Developer")
    event_time = str(case.evidence["event_time"])
    expect(cells.nth(1)).to_have_text(event_time[:16].replace("T", " ") + " UTC")
    # The token's app id is the user's own object id in the simulator: no client app to show.
    expect(cells.nth(2)).to_have_text("—")
    expect(cells.nth(3)).to_have_text(str(case.evidence["correlation_id"]))
    expect(cells.nth(4)).to_have_text(str(case.evidence["event_id"]))


def test_a_ticket_only_case_reads_as_a_ticket(page: Page, story: tuple[DevHost, SimulatedWorld]) -> None:
    host, world = story
    case = _story_case(world, "cognitiveservices_deployment_content_filter_enforced", "relaxed-debug")
    assert case.plan is None
    page.goto(f"{host.url}/api/console#case={case.id}")
    expect(page.locator("#detail")).to_contain_text("Ticket: no automated fix")
    expect(page.locator("#detail > p").nth(2)).to_contain_text("open  ticket · opened")
    expect(page.locator("#why")).not_to_contain_text("Automated fix")
    expect(page.locator("#detail")).not_to_contain_text("approval required")
    expect(page.locator("#ticket-why")).to_contain_text("no automated fix: no last-known-good content filter to restore")
    assert page.locator("#approve").count() == 0
    expect(page.locator(f'#cases tbody tr[data-id="{case.id}"] td.c-appr')).to_have_text("ticket")


def test_a_rollback_case_says_what_it_is_for_and_its_requester_cannot_approve_it(page: Page, story: tuple[DevHost, SimulatedWorld]) -> None:
    from driftguard.cases import Refused
    from driftguard.cases.auth import Principal
    from functions.devhost import ALICE_ID

    host, world = story
    applied = _story_case(world, "search_service_local_auth_disabled", "srch-contoso-rag", CaseStatus.APPLIED)
    page.goto(f"{host.url}/api/console#case={applied.id}")
    page.fill("#reason", "the indexer still uses a key")
    page.click("#rollback")
    expect(page.locator("#message")).to_contain_text("rollback case")
    # What the rollback is for, not the drift the fix corrected (the service is fixed now).
    expect(page.locator("#rollback-for")).to_have_text(
        f"Rollback: turn API key authentication back on (roll back of: disable API key authentication) — it undoes the fix applied by case {applied.id}."
    )
    expect(page.locator("#rollback-was")).to_contain_text("The fix had corrected:")
    # Its requester is offered no Approve, and told why; the desk's refusal says the same.
    expect(page.locator("#approve")).to_have_count(0)
    expect(page.locator("#approve-why")).to_have_text("You requested this rollback: another approver must approve it.")
    rollback = next(c for c in world.store.cases(status=CaseStatus.OPEN) if c.related_case == applied.id)
    me = Principal(ALICE_ID, "Local Approver", frozenset({Role.APPROVER.value}))
    with pytest.raises(Refused, match="the principal who requested this rollback cannot approve it"):
        world.desk(load_policy(ROOT / "examples" / "policy.json")).approve(rollback.id, me, reason="mine", plan_digest=rollback.plan_digest)


def test_a_rollback_confirmation_says_what_the_rollback_does(page: Page, story: tuple[DevHost, SimulatedWorld]) -> None:
    from driftguard.cases.auth import Principal
    from functions.devhost import BOB_ID, BOB_NAME

    host, world = story
    applied = _story_case(world, "search_service_local_auth_disabled", "srch-contoso-rag", CaseStatus.APPLIED)
    bob = Principal(BOB_ID, BOB_NAME, frozenset({Role.APPROVER.value}))
    rollback = world.desk(load_policy(ROOT / "examples" / "policy.json")).request_rollback(
        applied.id, bob, reason="the indexer still uses a key"
    )
    assert rollback.next_case is not None
    page.goto(f"{host.url}/api/console#case={rollback.next_case.id}")
    page.fill("#reason", "roll it back")
    page.click("#approve")
    expect(page.locator("#confirm")).to_contain_text(
        "Apply: turn API key authentication back on (roll back of: disable API key authentication)"
    )
    page.click("#confirm-no")


def test_references_are_links(page: Page, story: tuple[DevHost, SimulatedWorld]) -> None:
    host, world = story
    case = _story_case(world, PRIVILEGED, DANA_GRANT)
    page.goto(f"{host.url}/api/console#case={case.id}")
    links = page.locator("#references li a")
    expect(links).to_have_count(3)
    hrefs = [a.get_attribute("href") or "" for a in links.all()]
    assert all(h.startswith("https://") for h in hrefs), hrefs
    assert "https://learn.microsoft.com/security/benchmark/azure/mcsb-privileged-access" in hrefs


def test_the_story_has_cases_of_different_ages_to_filter_and_order(page: Page, story: tuple[DevHost, SimulatedWorld]) -> None:
    host, _ = story
    page.goto(f"{host.url}/api/console")
    rows = page.locator("#cases tbody tr")
    expect(rows.first).to_be_visible()
    total = rows.count()
    page.select_option("#f-age", "86400")
    older = rows.count()
    assert 0 < older < total, (older, total)
    page.select_option("#f-age", "")
    page.select_option("#sort", "sla")
    expect(rows.first.locator(".sla")).to_contain_text("overdue")
    expect(rows.last.locator(".sla")).to_contain_text("due in")
    page.screenshot(path=str(SCREENSHOTS / "console-story-sla.png"))


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_serious_or_critical_violation_on_an_access_case(
    browser: Browser, story: tuple[DevHost, SimulatedWorld], width: int
) -> None:
    # The seeded Owner removal: its readable before/after, its links, the access and who-caused tables
    # (a card each at 420 px), then its confirmation naming the change.
    host, world = story
    case = _story_case(world, PRIVILEGED, DANA_GRANT)
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{host.url}/api/console#case={case.id}")
        expect(page.locator("#plan-values")).to_be_visible()
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        run = "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
        bad = [(v["id"], v["impact"], v["help"]) for v in page.evaluate(run) if v["impact"] in ("serious", "critical")]
        assert bad == [], bad
        page.fill("#reason", "checked")
        page.click("#approve")
        expect(page.locator("#confirm-whom")).to_be_visible()
        bad = [(v["id"], v["impact"], v["help"]) for v in page.evaluate(run) if v["impact"] in ("serious", "critical")]
        assert bad == [], bad
    finally:
        context.close()


@pytest.mark.parametrize(
    ("rule", "name", "said"),
    [
        ("cognitiveservices_account_defender_for_ai_enabled", "Default", "rg-ai-prod / oai-contoso-prod-eu / Default"),
        ("apimanagement_namedvalue_no_account_key", "oai-chat-key", "rg-ai-gateway / apim-contoso-ai / oai-chat-key"),
    ],
)
def test_a_child_resource_is_named_with_its_parent(
    page: Page, story: tuple[DevHost, SimulatedWorld], rule: str, name: str, said: str
) -> None:
    # As the CLI names it (`layout.where`): in the list, the heading and the confirmation, the id on hover.
    host, world = story
    case = _story_case(world, rule, name)
    page.goto(f"{host.url}/api/console#case={case.id}")
    row = page.locator(f'#cases tbody tr[data-id="{case.id}"] .where')
    expect(row).to_have_text(f"{world.sample.PROD} / {said}")
    expect(row).to_have_attribute("title", case.resource_id)
    expect(page.locator("#where")).to_have_text(f"{world.sample.PROD} / {said}")
    expect(page.locator("#where")).to_have_attribute("title", case.resource_id)
    if not case.plan_digest:
        return  # a ticket: no confirmation
    page.fill("#reason", "fix it")
    page.click("#approve")
    expect(page.locator("#confirm-on")).to_have_text(f"On: {world.sample.PROD} / {said}")
    expect(page.locator("#confirm-on span")).to_have_attribute("title", case.resource_id)
    page.click("#confirm-no")


def test_an_incident_names_people_rules_and_resources_with_ids_on_hover(page: Page, story: tuple[DevHost, SimulatedWorld]) -> None:
    host, world = story
    case = _story_case(world, "defender_for_ai_alert", "relaxed-debug")
    page.goto(f"{host.url}/api/console#case={case.id}")
    findings = page.locator("#alert table").nth(1)
    rules = findings.locator("tbody td:nth-child(1) span")
    expect(rules.first).to_be_visible()
    titles = rules.all_inner_texts()
    assert not any(t.startswith(("cognitiveservices_", "authorization_")) for t in titles), titles
    expect(rules.first).to_have_attribute("title", str(case.evidence["open_findings"][0]["rule"]))
    places = findings.locator("tbody td:nth-child(3) span").all_inner_texts()
    assert "Dana Developer: Owner on oai-contoso-prod" in places, places
    assert f"{world.sample.PROD} / rg-ai-prod / oai-contoso-prod / relaxed-debug" in places, places
    assert not any(p.startswith("/subscriptions/") for p in places), places
    changes = page.locator("#alert table").nth(2)
    who = changes.locator("tbody td:nth-child(2) span")
    names = who.all_inner_texts()
    assert "Dana Developer" in names, names
    assert "driftguard" in names, names
    assert not any("@" in n or n.startswith("d9d9") for n in names), names
    dana = who.filter(has_text="Dana Developer").first
    expect(dana).to_have_attribute("title", f"dana.developer@contoso.onmicrosoft.com · {DEVELOPER}")
    expect(who.filter(has_text="driftguard").first).to_have_attribute("title", SimulatedWorld.DRIFTGUARD)
    where = changes.locator("tbody td:nth-child(4) span").all_inner_texts()
    assert f"{world.sample.PROD} / rg-ai-prod / oai-contoso-prod / strict-prod" in where, where
    assert "Dana Developer: Owner on oai-contoso-prod" in where, where


@pytest.mark.parametrize("width", WIDTHS)
def test_a_playbook_shows_only_the_filters_it_changes(page: Page, story: tuple[DevHost, SimulatedWorld], width: int) -> None:
    # The jailbreak playbook rewrites the RAI policy's 12 content filters: the one that changes is shown
    # alone, marked; the whole list is there on demand, folded.
    host, world = story
    case = _story_case(world, "defender_for_ai_alert", "relaxed-debug")
    assert case.plan_digest
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{host.url}/api/console#case={case.id}")
    expect(page.locator("#plan-changes li")).to_have_text(
        ["contentFilters[Jailbreak, Prompt]: blocking false -> true, enabled false -> true"]
    )
    before = page.locator("#plan-values td.before")
    expect(before.locator("p.changed")).to_have_text(["contentFilters[Jailbreak, Prompt]: blocking false, enabled false"])
    expect(page.locator("#plan-values td.after p.changed")).to_have_text(["contentFilters[Jailbreak, Prompt]: blocking true, enabled true"])
    whole = before.locator("details")
    expect(whole.locator("summary")).to_have_text("the whole value (12 items)")
    expect(whole.locator("ul.kv").first).not_to_be_visible()
    whole.locator("summary").click()
    expect(whole.locator("ul.kv").first).to_be_visible()
    whole.locator("summary").click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#detail").screenshot(path=str(SCREENSHOTS / f"console-incident-{width}.png"))


@pytest.mark.parametrize("width", WIDTHS)
def test_an_incident_lays_out_at_each_width(page: Page, story: tuple[DevHost, SimulatedWorld], width: int) -> None:
    # At 420 px each detail table is cards with labelled cells: no header row stands alone above them.
    # The alert's kind breaks only after a dot or an underscore, never inside a word.
    host, world = story
    case = _story_case(world, "defender_for_ai_alert", "relaxed-debug")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{host.url}/api/console#case={case.id}")
    expect(page.locator("#alert")).to_be_visible()
    heads = page.locator("#detail thead")
    shown = [heads.nth(i).is_visible() for i in range(heads.count())]
    assert shown == [width > 700] * len(shown), shown
    kind = page.locator("#alert table").first.locator("td.ident")
    expect(kind).to_have_text("AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt")
    # Each piece between break opportunities lies on one line.
    split = page.evaluate(
        """(cell) => Array.from(cell.querySelectorAll('span')[0].childNodes).filter(n => n.nodeType === 3).filter(n => {
             const r = document.createRange(); r.selectNodeContents(n);
             return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size > 1; }).map(n => n.textContent)""",
        kind.element_handle(),
    )
    assert split == [], split
    assert page.evaluate("(cell) => cell.scrollWidth <= cell.clientWidth + 1", kind.element_handle()), "the kind spills out of its cell"


def test_the_principal_who_caused_a_change_is_offered_no_approve(
    page: Page, story: tuple[DevHost, SimulatedWorld], hosted: HostedApp
) -> None:
    # The developer, signed in with the approver role, opens the case of its own change: no Approve,
    # the reason instead (the desk refuses it too: separation of duties).
    _, world = story
    case = next(c for c in world.store.cases(status=CaseStatus.OPEN) if DEVELOPER in c.causers and c.plan_digest and c.kind.value == "fix")
    dana = encode_principal(DEVELOPER, "Dana Developer", (Role.APPROVER.value,))
    with serving(hosted.functions, principal_header=dana) as host:
        page.goto(f"{host.url}/api/console#case={case.id}")
        expect(page.locator("#approve-why")).to_have_text("You caused this change: another approver must approve its fix.")
        expect(page.locator("#approve")).to_have_count(0)
        expect(page.locator("#reject")).to_be_visible()


def test_the_rule_filter_names_each_rule_once_by_its_own_title(page: Page, story: tuple[DevHost, SimulatedWorld]) -> None:
    # An incident's title is its alert's ("Defender for AI: A Jailbreak attempt…"): the filter offers the
    # rule, by the rule's title, and choosing it shows every incident of the rule.
    host, world = story
    incidents = [c for c in world.store.cases(status=CaseStatus.OPEN) if c.rule == "defender_for_ai_alert"]
    assert len(incidents) >= 2
    page.goto(f"{host.url}/api/console")
    expect(page.locator("#cases tbody tr").first).to_be_visible()
    options = page.locator('#f-rule option[value="defender_for_ai_alert"]')
    expect(options).to_have_count(1)
    expect(options).to_have_text("Defender for AI alerts (incidents)")
    labels = page.locator("#f-rule option").all_inner_texts()
    assert not any(label.startswith("Defender for AI: ") for label in labels), labels
    values = [o.get_attribute("value") for o in page.locator("#f-rule option").all()]
    assert len(values) == len(set(values)), values
    page.select_option("#f-rule", "defender_for_ai_alert")
    expect(page.locator("#cases tbody tr")).to_have_count(len(incidents))


def test_a_key_rotation_confirmation_shows_each_request_body(page: Page, console: DevHost, demo: DemoWorld) -> None:
    # Two regenerateKey calls differ only by their bodies: the confirmation shows each.
    from datetime import UTC, datetime, timedelta

    from simulator import builders as b

    eu = f"/subscriptions/{demo.world.sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod-eu"
    demo.world.sim.estate.put(
        b.defender_alert(
            eu,
            "2517-creds",
            alert_type="AI.Azure_CredentialTheftAttempt",
            display_name="Detected credential theft attempts on an Azure AI model deployment",
            severity="Medium",
            generated=datetime.now(UTC) - timedelta(minutes=2),
        )
    )
    demo.world.incidents(demo.policy).sweep()
    case = next(
        c
        for c in demo.world.store.cases()
        if c.rule == "defender_for_ai_alert" and c.evidence["alert"]["type"] == "AI.Azure_CredentialTheftAttempt"
    )
    page.goto(f"{console.url}/api/console#case={case.id}")
    page.fill("#reason", "rotate")
    page.click("#approve")
    expect(page.locator("#confirm-requests li")).to_have_text(
        [f'POST {eu}/regenerateKey {{"keyName":"Key1"}}', f'POST {eu}/regenerateKey {{"keyName":"Key2"}}']
    )
    page.click("#confirm-no")


# Every part of a name in the list, and whether it wraps inside (more than one line box).
_WRAPPED = """() => Array.from(document.querySelectorAll('#cases .where .part'))
    .filter(p => p.getClientRects().length > 1).map(p => p.textContent)"""


@pytest.mark.parametrize("width", [1400, 1024])
def test_names_in_the_list_never_break_inside(browser: Browser, story: tuple[DevHost, SimulatedWorld], width: int) -> None:
    # Subscription ids and names hold hyphens: a line breaks only between the " / " parts, with or
    # without a selected case, and the list has the room while none is selected.
    host, world = story
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{host.url}/api/console")
        expect(page.locator("#cases tbody tr").first).to_be_visible()
        parts = page.locator("#cases .where .part")
        assert parts.count() > 0
        assert world.sample.PROD in parts.all_inner_texts()
        assert page.evaluate(_WRAPPED) == []
        if width >= 1280:
            (listed,) = _boxes(page, ".layout > section:first-child")
            (empty,) = _boxes(page, "#detail")
            assert listed["width"] > 3 * empty["width"], (listed, empty)
        spilled = page.evaluate(
            "() => Array.from(document.querySelectorAll('#cases td')).filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)"
        )
        assert spilled == [], spilled
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        run = "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
        bad = [(v["id"], v["impact"], v["help"]) for v in page.evaluate(run) if v["impact"] in ("serious", "critical")]
        assert bad == [], bad
        page.locator("#cases tbody tr").first.click()
        expect(page.locator("#detail h2")).to_be_visible()
        assert page.evaluate(_WRAPPED) == []
        spilled = page.evaluate(
            "() => Array.from(document.querySelectorAll('#cases td')).filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)"
        )
        assert spilled == [], spilled
        bad = [(v["id"], v["impact"], v["help"]) for v in page.evaluate(run) if v["impact"] in ("serious", "critical")]
        assert bad == [], bad
    finally:
        context.close()
