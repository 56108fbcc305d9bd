#!/usr/bin/env python3
"""Drives Tresor's IMAP with Python's imaplib, as a real client library would.

usage: imaplib_client.py HOST PORT USER PASSWORD LMTP_PORT
Prints ALL CHECKS PASSED at the end; any failure raises.
"""
import imaplib
import re
import socket
import sys
import threading
import time

host, port, user, password, lmtp_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def connect():
    c = imaplib.IMAP4(host, port)
    typ, _ = c.login(user, password)
    check(typ == "OK", "login")
    return c


def lmtp_deliver(message: bytes):
    s = socket.create_connection((host, lmtp_port))
    f = s.makefile("rwb")
    f.readline()
    for cmd in [b"LHLO py.example", b"MAIL FROM:<x@example.org>", f"RCPT TO:<{user}>".encode(), b"DATA"]:
        f.write(cmd + b"\r\n")
        f.flush()
        line = f.readline()
        while line[3:4] == b"-":
            line = f.readline()
    f.write(message.replace(b"\n", b"\r\n") + b"\r\n.\r\n")
    f.flush()
    reply = f.readline()
    assert reply.startswith(b"250"), reply
    f.write(b"QUIT\r\n")
    f.flush()
    s.close()


c = connect()
typ, data = c.select("INBOX")
check(typ == "OK" and data == [b"2"], "select INBOX with 2 messages")

# APPEND / FETCH byte-exact round trip (8-bit, CRLF, long lines).
raw = b"From: py@example.org\r\nSubject: round trip\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "Grüße ✓\r\n".encode() + b"x" * 2000 + b"\r\n"
typ, data = c.append("INBOX", r"(\Seen)", imaplib.Time2Internaldate(time.time()), raw)
check(typ == "OK" and b"APPENDUID" in data[0], "append with APPENDUID")
uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1).decode()
typ, data = c.uid("FETCH", uid, "(BODY.PEEK[])")
check(data[0][1] == raw, "fetched bytes equal appended bytes")

# SEARCH on body text in UTF-8 and in a quoted-printable part.
lmtp_deliver("From: a@example.org\nSubject: qp\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nDie Stra=C3=9Fe ist gesperrt\n".encode())
c.noop()
typ, data = c.uid("SEARCH", "CHARSET", "UTF-8", "BODY", "Straße".encode())
check(typ == "OK" and len(data[0].split()) == 1, "search a quoted-printable body in UTF-8")
typ, data = c.uid("SEARCH", "CHARSET", "UTF-8", "TEXT", "Grüße".encode())
check(data[0].split() == [uid.encode()], "search 8-bit UTF-8 text")

# MOVE with COPYUID.
typ, data = c.uid("MOVE", "1", "Archive")
check(typ == "OK", "uid move")
typ, data = c.status("Archive", "(MESSAGES)")
check(b"MESSAGES 1" in data[0], "moved message is in Archive")

# CONDSTORE/QRESYNC resync after another session's changes.
c.logout()
c = connect()
typ, _ = c.enable("QRESYNC")
check(typ == "OK", "enable QRESYNC")
typ, data = c.select("INBOX")
validity = c.untagged_responses.get("UIDVALIDITY", [b"0"])[-1].decode()
modseq = c.untagged_responses.get("HIGHESTMODSEQ", [b"0"])[-1].decode()
c.close()
other = connect()
other.select("INBOX")
other.uid("STORE", uid, "+FLAGS", r"(\Flagged)")
typ, data = other.uid("SEARCH", "ALL")
first = data[0].split()[0].decode()
other.uid("STORE", first, "+FLAGS", r"(\Deleted)")
other.expunge()
other.logout()
c.untagged_responses.clear()
typ, data = c._simple_command("SELECT", "INBOX", f"(QRESYNC ({validity} {modseq}))")
check(typ == "OK", "select with QRESYNC")
vanished = c.untagged_responses.get("VANISHED", [])
fetches = c.untagged_responses.get("FETCH", [])
check(any(first.encode() in v for v in vanished), f"VANISHED (EARLIER) names the expunged UID {first}: {vanished}")
check(any(b"\\Flagged" in (f if isinstance(f, bytes) else f[0]) for f in fetches), f"changed flags reported: {fetches}")
c.state = "SELECTED"

# IDLE: a delivery is pushed within a second.
c.send(b"i1 IDLE\r\n")
check(c.readline().startswith(b"+"), "idle continuation")
t = threading.Timer(0.2, lambda: lmtp_deliver(b"From: b@example.org\nSubject: pushed\n\nhi\n"))
start = time.time()
t.start()
line = c.readline()
while b"EXISTS" not in line:
    line = c.readline()
elapsed = time.time() - start - 0.2
check(elapsed < 1.0, f"IDLE pushed EXISTS in {elapsed:.3f}s")
c.send(b"DONE\r\n")
line = c.readline()
while not line.startswith(b"i1 "):
    line = c.readline()
check(line.startswith(b"i1 OK"), "idle done")
c.logout()
print("ALL CHECKS PASSED")
