"""moto's S3 in server mode on 127.0.0.1, for the remote tests: ``python s3_server.py``.

Prints the port it listens on (the OS picks a free one), then serves until its standard input
closes, so it also stops by itself when the test process that started it dies.

moto checks ``If-None-Match: *`` and then stores the object as two steps without a lock, so two
simultaneous conditional PUTs of one key can both succeed in moto; on S3 exactly one does (the
other gets 412). The tests are about datavc, not about moto, so conditional requests are run one
at a time here, which gives moto the guarantee S3 documents. Everything else runs in parallel.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


class QuietHandler(MotoRequestHandler):  # type: ignore[misc]
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class ConditionalWritesOneAtATime:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_IF_NONE_MATCH") or environ.get("HTTP_IF_MATCH"):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def main() -> None:
    app = ConditionalWritesOneAtATime(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    print(server.server_port, flush=True)

    def stop_when_stdin_closes() -> None:
        sys.stdin.read()
        server.shutdown()

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
