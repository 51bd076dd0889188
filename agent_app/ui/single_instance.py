"""Only one agent-app runs per user and display: a second start asks the first to come forward, then exits."""

from __future__ import annotations

import getpass
import hashlib
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

TIMEOUT_MS = 1000


def server_name() -> str:
    """Per user and per display, so two desktops of one user each get their own app."""
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or ""
    key = hashlib.sha1(f"{getpass.getuser()}|{display}".encode()).hexdigest()[:12]
    return f"agent-app-{key}"


class SingleInstance(QObject):
    activated = Signal(str)  # the message a later start sent ("show")

    def __init__(self) -> None:
        super().__init__()
        self.server: QLocalServer | None = None

    def ask_running(self, message: str = "show") -> bool:
        """True if another instance answered (and got `message`): this one should exit."""
        socket = QLocalSocket()
        socket.connectToServer(server_name())
        if not socket.waitForConnected(TIMEOUT_MS):
            return False
        socket.write(message.encode() + b"\n")
        socket.flush()
        socket.waitForBytesWritten(TIMEOUT_MS)
        socket.waitForReadyRead(TIMEOUT_MS)  # the first instance acknowledges
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(server_name()):
            QLocalServer.removeServer(server_name())  # a stale socket left by a crash
            if not self.server.listen(server_name()):
                return False
        self.server.newConnection.connect(self._accept)
        return True

    def _accept(self) -> None:
        assert self.server is not None
        socket = self.server.nextPendingConnection()
        if socket is None:
            return

        def read() -> None:
            message = bytes(socket.readAll()).decode(errors="replace").strip() or "show"
            socket.write(b"ok\n")
            socket.flush()
            socket.disconnectFromServer()
            self.activated.emit(message)

        if socket.bytesAvailable():
            read()
        else:
            socket.readyRead.connect(read)
