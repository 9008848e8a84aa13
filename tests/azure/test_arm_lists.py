"""ARM lists are followed page by page (`nextLink`), and only ever on the ARM endpoint."""

from __future__ import annotations

import pytest

from driftguard.azure.connection import ArmConnection, RawArm
from driftguard.azure.writes import ArmWriter, WriteFailed
from simulator import Simulator, sample
from simulator.roles import role_assignment
from simulator.transport import BASE_URL

SUBSCRIPTION = f"/subscriptions/{sample.PROD}"
INSTANCE_TYPE = "Microsoft.Authorization/roleAssignmentScheduleInstances"
SCHEDULES = f"{SUBSCRIPTION}/providers/{INSTANCE_TYPE}"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


def plant_instances(sim: Simulator, n: int) -> list[str]:
    for i in range(n):
        instance = role_assignment(
            SUBSCRIPTION, f"5c4b3a29-0000-4a00-8000-00000000000{i}", OWNER, f"a1b2c3d4-0000-4000-8000-00000000100{i}"
        )
        sim.estate.put({**instance, "id": f"{SCHEDULES}/{instance['name']}", "type": INSTANCE_TYPE})
    return sorted(str(x["name"]) for x in sim.estate.children(SUBSCRIPTION, INSTANCE_TYPE))


def test_every_page_of_a_list_is_read(sim: Simulator, connection: ArmConnection) -> None:
    expected = plant_instances(sim, 5)
    sim.list_page_size = 2
    sim.reset_log()
    listed = sorted(str(i["name"]) for i in ArmWriter(RawArm(connection), BASE_URL).read_list(SCHEDULES, "2020-10-01"))
    assert listed == expected
    assert len(listed) >= 6  # the sample's PIM activation and the five planted
    assert len(sim.requests) == (len(listed) + 1) // 2  # one request per page


def test_a_next_link_off_the_arm_endpoint_is_not_followed(sim: Simulator, connection: ArmConnection) -> None:
    plant_instances(sim, 2)
    sim.list_page_size = 1
    writer = ArmWriter(RawArm(connection), "https://management.example.net")  # the pages name the simulator's host instead
    with pytest.raises(WriteFailed, match="not the ARM endpoint"):
        list(writer.read_list(SCHEDULES, "2020-10-01"))
