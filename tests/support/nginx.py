"""A real nginx (Debian's nginx-light) in front of a test's gunicorn.

Two configurations: nginx's **default** proxying (a bare ``proxy_pass``: HTTP/1.0 to the
upstream, buffering on), as an operator who writes the obvious config gets it, and the
**shipped** ``deploy/nginx.conf`` with only its upstream and listen addresses rewritten.
nginx runs in the foreground on a free port, with everything (config, pid, logs,
temporary files) in the test's folder.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.support.servers import ROOT, free_port, wait_for_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SHIPPED = ROOT / "deploy" / "nginx.conf"

DEFAULT_PROXY = """
events {}
http {
    access_log ACCESS_LOG;
    server {
        listen LISTEN;
        location / {
            proxy_pass http://UPSTREAM;
        }
    }
}
"""


def available() -> bool:
    return Path(NGINX).exists()


def _paths(folder: Path) -> str:
    """Temporary folders inside the test's own folder, so runs never share them."""
    return "".join(
        f"    {name}_temp_path {folder / name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )


def shipped_config(folder: Path, listen: str, upstream: str | Sequence[str]) -> str:
    """deploy/nginx.conf on ``listen``; its upstream block lists ``upstream``, one
    address or several (instances of the service, which nginx takes in turn)."""
    text = SHIPPED.read_text()
    servers = "\n        ".join(f"server {address};" for address in ([upstream] if isinstance(upstream, str) else upstream))
    text, listens = re.subn(r"listen 80;", f"listen {listen};", text)
    text, upstreams = re.subn(r"server web:8000;", servers, text)
    assert listens == 1 and upstreams == 1, "deploy/nginx.conf no longer has the lines the tests rewrite"
    text = text.replace("access_log /dev/stdout intarget;", f"access_log {folder / 'access.log'} intarget;")
    text = text.replace("error_log /dev/stderr warn;", f"error_log {folder / 'error.log'} warn;")
    return text.replace("http {\n", "http {\n" + _paths(folder), 1)


def default_config(folder: Path, listen: str, upstream: str) -> str:
    text = DEFAULT_PROXY.replace("LISTEN", listen).replace("UPSTREAM", upstream)
    text = text.replace("ACCESS_LOG", str(folder / "access.log"))
    return text.replace("http {\n", "http {\n" + _paths(folder), 1)


class Nginx:
    def __init__(self, folder: Path, upstream_port: int | Sequence[int], *, shipped: bool):
        """``upstream_port``: one gunicorn's, or (shipped config only) several, balanced
        round robin as the shipped upstream block does."""
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.access_log = folder / "access.log"
        listen = f"127.0.0.1:{self.port}"
        if isinstance(upstream_port, int):
            make = shipped_config if shipped else default_config
            config = make(folder, listen, f"127.0.0.1:{upstream_port}")
        else:
            assert shipped, "several upstreams need the shipped config's upstream block"
            config = shipped_config(folder, listen, [f"127.0.0.1:{port}" for port in upstream_port])
        if os.geteuid() == 0:
            # Workers would otherwise run as nobody, who cannot enter pytest's folders.
            config = "user root;\n" + config
        (folder / "nginx.conf").write_text(config)
        self._output = (folder / "nginx.out").open("wb")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log"),
             "-g", f"daemon off; pid {folder / 'nginx.pid'};"],
            stdout=self._output, stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process)

    def error_log(self) -> str:
        return (self.folder / "error.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # fast shutdown: open connections close now
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._output.close()
