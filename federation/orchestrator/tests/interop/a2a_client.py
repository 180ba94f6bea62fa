"""Drives OMEGA A2A agents with the official A2A Python SDK (a2a-sdk).

usage: a2a_client.py <answer-agent-url> <slow-agent-url>

The answer agent streams "restart the VPN client" from a fake Titan; the
slow agent's Titan never answers. Prints one JSON object of observations
and exits non-zero when an expectation fails.
"""

import asyncio
import json
import sys

import httpx
from a2a.client import ClientConfig, ClientFactory
from a2a.client.errors import A2AClientError
from a2a.types.a2a_pb2 import (
    CancelTaskRequest,
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    TaskState,
)
from a2a.utils.errors import TaskNotCancelableError, TaskNotFoundError
from google.protobuf.json_format import MessageToDict

EXPECTED = "restart the VPN client"


def message(text: str, mid: str) -> Message:
    m = Message(message_id=mid, role=Role.ROLE_USER, parts=[Part(text=text)])
    m.metadata.update({"tenant": "acme"})
    return m


def artifact_text(task) -> str:
    return "".join(p.text for a in task.artifacts for p in a.parts)


async def main() -> dict:
    answer_url, slow_url = sys.argv[1], sys.argv[2]
    out: dict = {}

    # 1. SendMessage (blocking) then GetTask.
    client = await ClientFactory(ClientConfig(streaming=False)).create_from_url(answer_url)
    out["card_name"] = client._card.name
    events = [e async for e in client.send_message(SendMessageRequest(message=message("VPN drops", "m1")))]
    assert len(events) == 1 and events[0].HasField("task"), events
    task = events[0].task
    assert task.status.state == TaskState.TASK_STATE_COMPLETED, task
    assert artifact_text(task) == EXPECTED, artifact_text(task)
    assert task.status.message.parts[0].text == EXPECTED
    got = await client.get_task(GetTaskRequest(id=task.id))
    assert got.id == task.id and got.status.state == TaskState.TASK_STATE_COMPLETED
    out["send_state"] = TaskState.Name(task.status.state)
    out["task_metadata"] = MessageToDict(task.metadata)
    out["history_roles"] = [Role.Name(m.role) for m in got.history]

    # 2. Finished tasks cannot be canceled; unknown tasks are not found.
    try:
        await client.cancel_task(CancelTaskRequest(id=task.id))
        raise AssertionError("canceling a finished task succeeded")
    except TaskNotCancelableError:
        out["cancel_finished"] = "TaskNotCancelableError"
    try:
        await client.get_task(GetTaskRequest(id="no-such-task"))
        raise AssertionError("unknown task found")
    except TaskNotFoundError:
        out["get_unknown"] = "TaskNotFoundError"
    await client.close()

    # 3. SendStreamingMessage over SSE.
    client = await ClientFactory(ClientConfig(streaming=True)).create_from_url(answer_url)
    kinds, states, chunks = [], [], []
    async for ev in client.send_message(SendMessageRequest(message=message("VPN drops", "m2"))):
        kind = ev.WhichOneof("payload")
        kinds.append(kind)
        if kind == "status_update":
            states.append(TaskState.Name(ev.status_update.status.state))
        if kind == "artifact_update":
            chunks.extend(p.text for p in ev.artifact_update.artifact.parts)
    await client.close()
    assert kinds[0] == "task", kinds
    assert states[-1] == "TASK_STATE_COMPLETED", states
    assert "".join(chunks) == EXPECTED, chunks
    out["stream_kinds"] = kinds
    out["stream_states"] = states
    out["stream_chunks"] = chunks

    # 4. CancelTask on a task whose Titan hangs (returnImmediately via polling).
    client = await ClientFactory(ClientConfig(streaming=False, polling=True)).create_from_url(slow_url)
    events = [e async for e in client.send_message(SendMessageRequest(message=message("anything", "m3")))]
    task = events[0].task
    assert not task.status.state in (TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED)
    canceled = await client.cancel_task(CancelTaskRequest(id=task.id))
    assert canceled.status.state == TaskState.TASK_STATE_CANCELED, canceled
    again = await client.get_task(GetTaskRequest(id=task.id))
    out["cancel_state"] = TaskState.Name(again.status.state)
    await client.close()

    # 5. A client that does not send A2A-Version (so speaks 0.3) is refused.
    async with httpx.AsyncClient() as http:
        body = {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": task.id}}
        r = (await http.post(answer_url, json=body)).json()
        out["no_version_code"] = r["error"]["code"]
        r = (await http.post(answer_url, json=body, headers={"A2A-Version": "2.0"})).json()
        out["v2_code"] = r["error"]["code"]
    return out


if __name__ == "__main__":
    try:
        result = asyncio.run(main())
    except (AssertionError, A2AClientError) as e:
        print(json.dumps({"failed": repr(e)}))
        sys.exit(1)
    print(json.dumps(result))
