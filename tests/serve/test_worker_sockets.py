"""`--workers N`: each worker process listens on a socket of its own (SO_REUSEPORT).

uvicorn's supervisor pickles the sockets it hands each worker; `WorkerSockets` unpickles as
a new socket bound to the port the parent reserved, so every worker has its own listening
socket and the kernel spreads connections over them (`copilot.serve.serving`).
"""

from __future__ import annotations

import pickle
import socket

import pytest

from copilot.serve.serving import WorkerSockets, reserve


def test_each_worker_gets_its_own_socket_on_the_reserved_port():
    with reserve("127.0.0.1", 0) as reserved:
        port = reserved.getsockname()[1]
        sockets = WorkerSockets(reserved)
        assert list(sockets) == [reserved]  # in the parent: the reserved socket itself
        workers = [pickle.loads(pickle.dumps(sockets)) for _ in range(2)]  # as each worker gets them
        try:
            for (sock,) in workers:
                assert sock.getsockname() == ("127.0.0.1", port)
                assert sock.fileno() != reserved.fileno()
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
                sock.listen()
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass  # taken by one of the workers' sockets; the reserved one never listens
        finally:
            for (sock,) in workers:
                sock.close()


def test_a_port_in_use_is_one_error_line():
    from copilot.errors import FlowgenError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(FlowgenError, match=r"cannot listen on 127\.0\.0\.1"):
            reserve("127.0.0.1", taken.getsockname()[1])
