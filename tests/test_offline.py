"""Nothing reaches the network: notebook kernels (through setup() and the course's guard in
utils/offline.py) and the tests themselves (pytest-socket, options in pyproject.toml)."""

import socket
import subprocess
import sys

import pytest
from pytest_socket import SocketConnectBlockedError

from utils import offline


@pytest.fixture
def guard():
    offline.install()
    yield
    offline.uninstall()


def test_the_test_run_itself_is_guarded():
    with pytest.warns(UserWarning, match="192.0.2.1"), pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1, never routed


def test_the_test_run_allows_loopback():
    """Jupyter kernels and the browser test talk to this machine."""
    server = socket.create_server(("127.0.0.1", 0))
    with server, socket.create_connection(("localhost", server.getsockname()[1]), timeout=2):
        pass


@pytest.mark.parametrize("host", ["huggingface.co", "8.8.8.8", "2001:4860:4860::8888"])
def test_outbound_connections_fail_loudly(guard, host):
    with pytest.raises(offline.OfflineError, match="course runs offline.*utils.assets build"):
        socket.create_connection((host, 443), timeout=1)


def test_loopback_stays_allowed(guard):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    with socket.create_connection(("localhost", port), timeout=2):
        pass
    server.close()


def test_setup_installs_the_guard_and_hub_calls_fail_clearly():
    """In a fresh process, as in a notebook kernel: setup() then a Hub download attempt."""
    code = """
from utils import setup
setup("pt", report=False)
from utils.offline import installed
assert installed()
import requests, urllib.request
for call in (lambda: requests.get("https://huggingface.co/api/models/bert-base-uncased"),
             lambda: urllib.request.urlopen("https://huggingface.co")):
    try:
        call()
        print("REACHED")
    except Exception as err:
        chain, e = [], err
        while e is not None and len(chain) < 10:
            chain.append(e)
            e = e.__cause__ or e.__context__
        print("BLOCKED" if any("course runs offline" in str(x) for x in chain) else repr(err))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == ["BLOCKED", "BLOCKED"], result.stdout + result.stderr[-2000:]


def test_online_opt_in_leaves_the_network_alone():
    code = ("import os\nos.environ['COURSE_ONLINE'] = '1'\nfrom utils import setup\n"
            "setup('pt', report=False)\nfrom utils.offline import installed\n"
            "print(installed())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr[-2000:]
