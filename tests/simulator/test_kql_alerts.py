"""The Kusto the alert reader sends, as the simulator runs it over `securityresources`: computed columns
(`extend ... tostring/todatetime`), datetime comparisons, and errors for anything it does not know."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from simulator import builders as b
from simulator import kql

ACCOUNT = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def rows() -> list[dict[str, object]]:
    out = []
    for name, alert_type, minutes in (("a", "AI.Azure_AccessAnomaly", 5), ("b", "VM_Other", 10), ("c", "AI.Azure_ASCIISmuggling", 1)):
        alert = b.defender_alert(
            ACCOUNT, name, alert_type=alert_type, display_name=name, severity="Low", generated=T0 + timedelta(minutes=minutes)
        )
        # Defender writes seven fractional digits.
        alert["properties"]["timeGeneratedUtc"] = (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.1234567Z")
        out.append({**alert, "type": str(alert["type"]).lower()})
    return out


def test_extend_and_datetime_filter_and_order() -> None:
    query = kql.parse(
        "securityresources | where type =~ 'microsoft.security/locations/alerts' "
        "| extend alertType = tostring(properties.alertType), generated = todatetime(properties.timeGeneratedUtc) "
        "| where alertType startswith 'AI.' and generated > datetime(2026-12-01T10:02:00Z) "
        "| project name, generated | order by generated asc"
    )
    assert query.run(rows()) == [{"name": "a", "generated": "2026-12-01T10:05:00.123456Z"}]


def test_a_missing_time_never_passes_a_time_filter() -> None:
    data = rows()
    data[0]["properties"] = {}
    query = kql.parse("securityresources | extend g = todatetime(properties.timeGeneratedUtc) | where g >= datetime(2000-01-01T00:00:00Z)")
    assert [r["name"] for r in query.run(data)] == ["b", "c"]


@pytest.mark.parametrize(
    "text",
    [
        "securityresources | extend x = toint(properties.n)",
        "securityresources | where g > datetime(yesterday)",
        "securityresources | extend x = properties.alertType",
    ],
)
def test_what_the_subset_does_not_know_is_an_error(text: str) -> None:
    with pytest.raises(kql.KqlError):
        kql.parse(text)
