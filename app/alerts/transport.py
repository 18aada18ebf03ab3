"""How a built email leaves: SMTP (MAIL_SERVER set) or an .eml file under MAIL_FILE_DIR."""

import smtplib
import ssl
from pathlib import Path


class SmtpTransport:
    name = "smtp"

    def __init__(self, config):
        self.host = config["MAIL_SERVER"]
        self.port = int(config["MAIL_PORT"])
        self.use_tls = bool(config["MAIL_USE_TLS"])
        self.use_ssl = bool(config["MAIL_USE_SSL"])
        self.username = config["MAIL_USERNAME"]
        self.password = config["MAIL_PASSWORD"]
        self.timeout = float(config["MAIL_TIMEOUT"])
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.use_ssl:
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.use_tls:
                conn.starttls(context=ssl.create_default_context())
        if self.username:
            conn.login(self.username, self.password)
        return conn

    def open(self) -> None:
        """Connect unless connected; raises OSError / SMTPException when the server cannot be reached."""
        if self._conn is None:
            self._conn = self._connect()

    def send(self, message: bytes, sender: str, recipient: str, name: str) -> None:
        """Send over the open connection (kept for the next message).

        Raises smtplib.SMTPRecipientsRefused and the like for this message only; a lost
        connection raises OSError / SMTPServerDisconnected and closes it.
        """
        self.open()
        try:
            self._conn.sendmail(sender, [recipient], message)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise
        except smtplib.SMTPException:
            # The server refused this message; clear the transaction so the next one starts clean.
            try:
                self._conn.rset()
            except (smtplib.SMTPException, OSError):
                self.close()
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()


class FileTransport:
    """Writes each message to MAIL_FILE_DIR as <name>.eml: mail that works with no server."""

    name = "file"

    def __init__(self, config):
        self.directory = Path(config["MAIL_FILE_DIR"])

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: bytes, sender: str, recipient: str, name: str) -> None:
        self.open()
        target = self.directory / f"{name}.eml"
        partial = target.with_suffix(".part")
        partial.write_bytes(message)
        partial.replace(target)  # a reader never sees half a message

    def close(self) -> None:
        pass


def make_transport(config):
    return SmtpTransport(config) if config.get("MAIL_SERVER") else FileTransport(config)
