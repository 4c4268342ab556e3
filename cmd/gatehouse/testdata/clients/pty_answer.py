#!/usr/bin/env python3
"""Run a command in a pseudo-terminal and answer its prompts.

Usage: pty_answer.py RULES_JSON -- COMMAND [ARGS...]

RULES_JSON is a JSON list of [regex, answer] pairs. Whenever the text the
command printed since the last answer matches a regex, the answer (plus a
newline) is typed. Everything the command prints is copied to stdout as it
comes, so a caller can read, for example, a device code while the command
waits. The exit status is the command's.

The Go tests use it to drive `aws configure sso`, which only talks to a
terminal. Python's pty module is in the standard library.
"""
import json
import os
import pty
import re
import select
import sys


def main():
    rules = [(re.compile(p), a) for p, a in json.loads(sys.argv[1])]
    argv = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    pending = ""
    used = set()
    while True:
        try:
            ready, _, _ = select.select([fd], [], [], 180)
        except InterruptedError:
            continue
        if not ready:
            break
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        text = data.decode("utf-8", "replace")
        sys.stdout.write(text)
        sys.stdout.flush()
        pending += text
        for i, (rx, answer) in enumerate(rules):
            if i in used:
                continue
            if rx.search(pending):
                used.add(i)
                os.write(fd, (answer + "\r").encode())
                pending = ""
                break
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
