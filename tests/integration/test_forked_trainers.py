"""Trainers forked from the fork server (jobs/forked.py): real processes, real TensorFlow."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

from helpers import iris_graph, train_spec
from layerforge.jobs.forked import LOST_SERVER_CODE, ForkServer
from layerforge.jobs.supervisor import TrainerProcess
from layerforge.training.keras_setup import CPU_DEVICES_ENV, THREADS_ENV


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


async def _events(trainer: TrainerProcess) -> list[dict]:
    assert trainer.proc.stdout is not None
    return [json.loads(line) async for line in trainer.proc.stdout]


def test_each_trainer_is_a_fresh_child_of_the_server():
    async def main() -> None:
        forks = ForkServer()
        try:
            a = await forks.spawn({}, warm=False)
            b = await forks.spawn({}, warm=False)
            assert forks._proc is not None
            assert a.pid != b.pid and _parent(a.pid) == _parent(b.pid) == forks._proc.pid
            # the protocol as a started trainer speaks it: a bad spec line is a failed run
            trainer = TrainerProcess(a, "tensorflow")
            assert a.stdin is not None
            a.stdin.write(b"not json\n")
            await a.stdin.drain()
            events = await _events(trainer)
            assert (
                events[-1]["status"] == "failed"
                and "bad spec line" in events[-1]["error"]["message"]
            )
            assert await a.wait() == 0
            b.kill()
            assert await b.wait() == -signal.SIGKILL
            await trainer.close()
        finally:
            await forks.stop()

    asyncio.run(main())


def test_a_forked_warm_trainer_trains_a_run_with_the_environment_it_was_sent(tmp_path):
    """The whole run protocol on a forked, warmed-up trainer: spec in, events out, the
    terminal status last, exit 0; its environment is the one sent (two logical CPUs, as
    a worker slot's devices: the run with `gpus: 2` finds them; one CPU thread)."""
    spec = train_spec(tmp_path, iris_graph(), {"name": "iris"}, epochs=2, batch_size=16, gpus=2)

    async def main() -> list[dict]:
        forks = ForkServer()
        try:
            child = await forks.spawn({CPU_DEVICES_ENV: "2", THREADS_ENV: "1"}, warm=True)
            trainer = TrainerProcess(child, "tensorflow")
            assert child.stdin is not None
            child.stdin.write((json.dumps(spec) + "\n").encode())
            await child.stdin.drain()
            events = await _events(trainer)
            assert await child.wait() == 0, list(trainer.stderr_tail)
            await trainer.close()
            return events
        finally:
            await forks.stop()

    events = asyncio.run(main())
    assert events[-1] == {**events[-1], "type": "status", "status": "succeeded"}, events[-3:]
    assert sum(e["type"] == "epoch" for e in events) == 2
    logs = [e["message"] for e in events if e["type"] == "log"]
    assert any("uses 1 CPU thread(s)" in m for m in logs), logs


def test_children_end_with_their_server_and_the_next_spawn_starts_a_new_one():
    async def main() -> None:
        forks = ForkServer()
        try:
            child = await forks.spawn({}, warm=False)
            assert forks._proc is not None
            first = forks._proc.pid
            os.kill(first, signal.SIGKILL)
            assert await asyncio.wait_for(child.wait(), 30) == LOST_SERVER_CODE
            for _ in range(100):  # the kernel kills the orphan (PR_SET_PDEATHSIG)
                if not Path(f"/proc/{child.pid}").exists() or _parent(child.pid) != first:
                    break
                await asyncio.sleep(0.05)
            again = await forks.spawn({}, warm=False)
            assert forks._proc.pid != first and _parent(again.pid) == forks._proc.pid
            again.kill()
            assert await again.wait() == -signal.SIGKILL
        finally:
            await forks.stop()

    asyncio.run(main())


def test_a_trainer_gets_the_servers_thread_limit_beside_its_devices():
    from layerforge.jobs.supervisor import trainer_env
    from layerforge.settings import Settings

    devices = {"CUDA_VISIBLE_DEVICES": "1"}
    assert trainer_env(Settings(), devices) == devices
    assert trainer_env(Settings(trainer_threads=1), devices) == {**devices, THREADS_ENV: "1"}
    assert trainer_env(Settings(trainer_threads=2)) == {THREADS_ENV: "2"}
