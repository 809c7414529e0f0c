"""Test-only stand-in that speaks the trainer protocol, to isolate supervision units
(a crash, kill -9, a trainer that ignores cancel). Integration tests use the real trainer.

Usage: python runs_protocol_trainer.py MODE, MODE one of:
  ok      emits starting, running, `batches` batch events, succeeded
  crash   emits running and a batch, then exits 3 without a terminal status
  hang    emits running, then sleeps forever (ignores cancel)
  ignore  emits running and a batch, then sleeps forever (ignores cancel)
  cancel  emits batches until `cancel` arrives on stdin, then cancelled
  slow-finish  as cancel, then writes artifacts for 1.5 s (an event each 0.3 s) first
"""

import json
import os
import sys
import threading
import time

out = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)


def emit(**event):
    event.setdefault("time", time.time())
    out.write(json.dumps(event) + "\n")
    out.flush()


mode = sys.argv[1]
spec = json.loads(sys.stdin.readline())
batches = int(spec.get("settings", {}).get("batches", 5))
emit(type="status", status="starting")
emit(type="status", status="running")
cancelled = threading.Event()
threading.Thread(
    target=lambda: [cancelled.set() for line in sys.stdin if line.strip() == "cancel"], daemon=True
).start()
if mode == "ok":
    for b in range(batches):
        emit(
            type="batch",
            epoch=0,
            epochs=1,
            batch=b,
            batches=batches,
            metrics={"loss": 1.0 / (b + 1)},
        )
    emit(type="epoch", epoch=0, epochs=1, metrics={"loss": 0.2, "val_loss": 0.3}, duration=0.01)
    emit(type="status", status="succeeded")
elif mode == "crash":
    emit(type="batch", epoch=0, epochs=1, batch=0, batches=1, metrics={"loss": 1.0})
    print("boom: simulated crash", file=sys.stderr)
    sys.exit(3)
elif mode == "hang":
    time.sleep(3600)
elif mode == "ignore":
    emit(type="batch", epoch=0, epochs=1, batch=0, batches=10, metrics={"loss": 1.0})
    time.sleep(3600)
elif mode in ("cancel", "slow-finish"):
    b = 0
    while not cancelled.is_set():
        emit(type="batch", epoch=0, epochs=1, batch=b, batches=10**6, metrics={"loss": 1.0})
        b += 1
        time.sleep(0.02)
    if mode == "slow-finish":
        for name in ("model.keras", "best.keras", "history.json", "model.py", "more.txt"):
            time.sleep(0.3)
            emit(type="artifact", name=name, size=1)
    emit(type="status", status="cancelled")
