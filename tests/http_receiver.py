"""A real HTTP server on 127.0.0.1 that records every request it gets (method, path,
headers, body bytes) and answers what a test told it: for outbound-request tests (what reached the
target, and what did not)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """`answer(method, path) -> (status, headers, body)`; by default a tiny MLflow: an empty
    experiment search and 404 RESOURCE_DOES_NOT_EXIST for any other call."""

    def __init__(self, answer=None):
        self.requests: list[dict] = []
        self.answer = answer or mlflow_like
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                status, headers, body = receiver.answer(self.command, self.path)
                body = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def authorizations(self) -> list[str]:
        return [
            request["headers"]["authorization"] for request in self.requests if "authorization" in request["headers"]
        ]


def mlflow_like(method: str, path: str):
    if path.startswith("/api/2.0/mlflow/experiments/search"):
        return 200, {"Content-Type": "application/json"}, json.dumps({"experiments": []})
    return (
        404,
        {"Content-Type": "application/json"},
        json.dumps({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "not found"}),
    )


def always(status: int, body: str = "", headers: dict | None = None):
    """An answer function: the same status, body and headers for every request."""
    return lambda method, path: (status, headers or {}, body)
