"""Waiting for a system under test to settle, for tests, benchmarks and the quickstart."""
import subprocess
import time


def wait(pred, what, timeout=20, interval=0.1):
    """pred() until it is truthy (its value is returned); AssertionError naming `what` after
    `timeout` seconds. Exceptions a pred raises while the system settles count as not yet."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = pred()
            if last:
                return last
        except (AssertionError, KeyError, ValueError, IndexError, OSError, RuntimeError,
                subprocess.CalledProcessError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
