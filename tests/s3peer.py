"""The S3 peer of the tests: moto's S3 server (a real HTTP server, not mock_aws) on 127.0.0.1,
started once per run in a thread. A test asks for a bucket of its own with new_bucket()."""
from __future__ import annotations

import logging
import os
import secrets
import threading

_lock = threading.Lock()
_server = None
_endpoint = ""


def endpoint() -> str:
    """http://127.0.0.1:<port> of the running peer, starting it on first use."""
    global _server, _endpoint
    with _lock:
        if _server is None:
            from moto.server import ThreadedMotoServer
            # The peer's credentials, so that boto3 never picks up a developer's real ones.
            os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                              AWS_DEFAULT_REGION="us-east-1")
            os.environ.pop("AWS_SESSION_TOKEN", None)
            os.environ.pop("AWS_PROFILE", None)
            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the peer's access log
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            _server, _endpoint = server, f"http://{host}:{port}"
    return _endpoint


def client():
    import boto3
    return boto3.client("s3", endpoint_url=endpoint(), region_name="us-east-1")


def new_bucket(name: str | None = None) -> str:
    name = name or f"test-{secrets.token_hex(6)}"
    client().create_bucket(Bucket=name)
    return name


def storage_url(bucket: str, prefix: str = "survey", **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"endpoint_url": endpoint(), "region": "us-east-1", **options}.items())
    return f"s3://{bucket}/{prefix}?{query}" if prefix else f"s3://{bucket}?{query}"


def stop() -> None:
    global _server
    with _lock:
        if _server is not None:
            _server.stop()
            _server = None
