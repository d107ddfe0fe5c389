"""Who this process is — its pid and a random tag — cached, and renewed in a forked child.

The request path needs both on every request (the access line names the worker's pid; new
request ids start with the tag). os.getpid() is a system call and a random draw is one too,
and in a threaded worker a system call can hand the interpreter lock to another thread; so
both are read once per process. A fork hook clears them in the child, so a worker forked
from a process that had read them never reports its parent's pid or reuses its tag.
"""

import itertools
import os
import secrets
import threading
from collections.abc import Iterator

_identity: tuple[int, str] | None = None
_hook_registered = False
# Held only while a value is made: two threads asking first must not make two (two tags, or
# two id sequences that both start at 0).
_making = threading.Lock()
# This process's source of new request ids (None until first asked for; see request_ids()).
# A module attribute, not a function, so that the request path reads it without a call.
request_id_source: Iterator[str] | None = None


def _forget() -> None:
    global _identity, request_id_source, _making
    _identity = request_id_source = None
    _making = threading.Lock()  # one a parent's thread held at the fork would stay held here


def _identity_now() -> tuple[int, str]:
    global _identity, _hook_registered
    with _making:
        if _identity is None:
            if not _hook_registered:
                os.register_at_fork(after_in_child=_forget)
                _hook_registered = True
            _identity = (os.getpid(), secrets.token_hex(8))
        return _identity


def pid() -> int:
    return (_identity or _identity_now())[0]


def tag() -> str:
    """16 random hex digits, drawn once per process."""
    return (_identity or _identity_now())[1]


def request_ids() -> Iterator[str]:
    """New request ids: the tag, then a 16-hex-digit sequence number. As unique as random
    ids (no other process has the tag), and `next()` on it is one call into C, which no
    other thread can interrupt, so threads never share a number."""
    global request_id_source
    if request_id_source is None:
        prefix = tag()  # before taking the lock: tag() may take it too
        with _making:
            if request_id_source is None:
                # printf-style: a fifth cheaper a call than str.format (callgrind)
                request_id_source = map(f"{prefix}%016x".__mod__, itertools.count())
    return request_id_source
